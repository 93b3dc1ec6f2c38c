"""Deadlines in the server's local time, and the notices a successful answer can carry (no server needed)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_translate5.client import Translate5ValueError
from airflow_provider_translate5.client.notices import notices
from airflow_provider_translate5.client.server_time import deadline_text, server_zone

BERLIN = server_zone("Europe/Berlin")


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("2030-01-31 17:00:00", "2030-01-31 17:00:00"),
        (" 2030-01-31T17:00:00 ", "2030-01-31 17:00:00"),
        (datetime(2030, 1, 31, 17), "2030-01-31 17:00:00"),
    ],
)
def test_a_naive_deadline_is_the_servers_local_time_as_it_is(given: str | datetime, sent: str) -> None:
    assert deadline_text(given) == sent
    assert deadline_text(given, BERLIN) == sent  # a known zone changes nothing for a naive time


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("2030-01-31T16:00:00Z", "2030-01-31 17:00:00"),
        ("2030-01-31T16:00:00z", "2030-01-31 17:00:00"),
        ("2030-07-31 16:00:00+00:00", "2030-07-31 18:00:00"),  # summer time
        ("2030-03-31T00:30:00Z", "2030-03-31 01:30:00"),  # before the switch that night
        ("2030-03-31T01:30:00Z", "2030-03-31 03:30:00"),  # after it
        ("2030-01-31 22:00:00+0530", "2030-01-31 17:30:00"),
        (datetime(2030, 1, 31, 16, tzinfo=timezone.utc), "2030-01-31 17:00:00"),
        (datetime(2030, 1, 31, 10, tzinfo=timezone(timedelta(hours=-6))), "2030-01-31 17:00:00"),
    ],
)
def test_a_deadline_with_a_zone_is_converted_into_the_servers(given: str | datetime, sent: str) -> None:
    assert deadline_text(given, BERLIN) == sent


@pytest.mark.parametrize("given", ["2030-01-31T16:00:00Z", datetime(2030, 1, 31, 16, tzinfo=timezone.utc)])
def test_a_deadline_with_a_zone_is_refused_without_the_servers_zone(given: str | datetime) -> None:
    with pytest.raises(Translate5ValueError) as refused:
        deadline_text(given)
    message = str(refused.value)
    assert "carries a time zone" in message
    assert "keep 2030-01-31 16:00:00 as the server's local time" in message  # what translate5 would do
    assert "'server_timezone'" in message


@pytest.mark.parametrize(
    "given", ["31.01.2030 17:00", "2030-01-31", "2030-01-31 17:00", "2030-01-31 17:00:00.5", "", "tomorrow"]
)
def test_anything_else_is_refused_naming_the_format(given: str) -> None:
    with pytest.raises(Translate5ValueError, match=r"deadline_date must be 'YYYY-MM-DD HH:MM:SS'"):
        deadline_text(given)


def test_the_servers_zone_is_an_iana_name() -> None:
    assert server_zone(None) is None
    assert server_zone("  ") is None
    assert deadline_text("2030-01-31T16:00:00Z", server_zone("UTC")) == "2030-01-31 16:00:00"
    with pytest.raises(Translate5ValueError, match="IANA time zone name"):
        server_zone("CET+1")


def test_notices_read_as_a_person_would() -> None:
    recorded = {  # part 2, §140
        "rows": {"id": "44"},
        "errors": [
            {
                "origin": "core",
                "msg": 'Der Workflow Schritt der Aufgabe wurde zu "{0}" geändert!',
                "id": -1,
                "data": "Translation",
                "type": "notice",
            }
        ],
    }
    assert notices(recorded) == ['Der Workflow Schritt der Aufgabe wurde zu "Translation" geändert!']
    assert notices({"errors": [{"msg": "Achtung", "type": "warning", "data": {"a": 1}}]}) == [
        "warning: Achtung ({'a': 1})"
    ]
    assert notices({"rows": []}) == []
    assert notices(None) == []
