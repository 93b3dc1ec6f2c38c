"""The queued batch export's token is fetched once (part 2 §154-156): a lost download answer never loops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from t5support import eventually, wait_imported

from airflow_provider_translate5.client import Translate5Client, Translate5QueuedExportGoneError

pytestmark = pytest.mark.integration

DOWNLOAD = "/editor/queuedexport/"


def _ready_token(client: Translate5Client, page: Path) -> str:
    task = client.create_task(page, task_name="Batch", source_lang="en", target_lang="de")
    wait_imported(client, task.task_ids)
    token = client.start_batch_export([task.id])
    eventually(lambda: client.batch_export_ready(token), what="the queued export to be ready")
    return token


def test_a_lost_batch_download_answer_meets_the_gone_token_once_and_says_so(
    sim: Any, client: Translate5Client, page: Path
) -> None:
    token = _ready_token(client, page)
    sim.faults.lose_response(1, method="GET", path=DOWNLOAD)  # translate5 sent it and deleted the token

    with pytest.raises(Translate5QueuedExportGoneError) as caught, client.open_batch_export(token):
        pass

    # The lost answer, then one repeat that meets the 404: no loop over "Token no longer exists".
    assert sim.requests.count("GET", f"{DOWNLOAD}{token}/download") == 2
    assert "Token no longer exists" in str(caught.value)
    assert "export the tasks anew" in str(caught.value)
    assert not caught.value.terminal  # not a failure for good: a new export of the tasks can succeed
