"""The body faults: cuts that the transfer cannot show, only the body's format (see client/verify.py)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import create_task, url, wait_state


def exported(sim: Translate5Simulator, api: requests.Session) -> str:
    row = create_task(sim, api)
    wait_state(sim, api, row["id"])
    return url(sim, f"/editor/task/export/id/{row['id']}")


def test_cut_body_ends_a_close_delimited_answer_early_without_an_error(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    export = exported(sim, api)
    whole = api.get(export).content
    sim.faults.cut_body(method="GET", path="/editor/task/export", fraction=0.5)

    cut = api.get(export)  # no exception: a clean close is the regular end of such an answer

    assert cut.status_code == 200
    assert "Content-Length" not in cut.headers
    assert cut.headers["Connection"] == "close"
    assert cut.content == whole[: len(whole) // 2]
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(cut.content))
    assert api.get(export).content[:100] == whole[:100]  # one request only


def test_cut_body_on_a_json_answer(sim: Translate5Simulator, api: requests.Session) -> None:
    sim.faults.cut_body(method="GET", path="/editor/language", fraction=0.3)
    cut = api.get(url(sim, "/editor/language"))
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)


def test_truncated_zip_sends_a_length_that_matches_the_cut(
    sim: Translate5Simulator, api: requests.Session
) -> None:
    export = exported(sim, api)
    whole = api.get(export).content
    sim.faults.truncated_zip(method="GET", path="/editor/task/export", fraction=0.8)

    cut = api.get(export)

    assert cut.headers["Content-Length"] == str(int(len(whole) * 0.8))
    assert cut.content == whole[: int(len(whole) * 0.8)]  # framing complete, archive not
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(cut.content))


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 2])
def test_a_fraction_outside_zero_to_one_is_refused(sim: Translate5Simulator, fraction: float) -> None:
    with pytest.raises(ValueError, match="fraction"):
        sim.faults.cut_body(fraction=fraction)
