"""Fixtures for client unit tests: requests-mock answers, and a recorder that decodes what the client sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from requests_toolbelt import MultipartEncoder
from requests_toolbelt.multipart.decoder import MultipartDecoder

from airflow_provider_translate5.client import RetryPolicy, Translate5Client

BASE = "https://t5.example.org"
TOKEN = "12:" + "Ab3" * 12
LANGUAGES = [
    {"id": 4, "langName": "German", "lcid": 1031, "rfc5646": "de"},
    {"id": "5", "langName": "English", "lcid": "1033", "rfc5646": "en"},
    {"id": 251, "langName": "English (UK)", "lcid": 2057, "rfc5646": "en-GB"},
    {"id": 6, "langName": "French", "lcid": 1036, "rfc5646": "fr"},
]


@dataclass
class Sent:
    """One request as the server saw it, with form and multipart bodies decoded."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    streamed: bool = False

    def value(self, name: str) -> str:
        values = [v for k, v in self.form if k == name]
        assert len(values) == 1, f"{name}: {values}"
        return values[0]

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.form if k == name]


def decode(request: Any) -> Sent:
    body = request.body
    sent = Sent(
        method=request.method,
        path=urlsplit(request.url).path,  # request.path/qs of requests-mock are lower-cased
        query=parse_qs(urlsplit(request.url).query, keep_blank_values=True),
        headers=dict(request.headers),
    )
    if isinstance(body, MultipartEncoder):
        sent.streamed = True
        raw = body.read()
        for part in MultipartDecoder(raw, body.content_type).parts:
            disposition = part.headers[b"Content-Disposition"].decode()
            params = dict(item.strip().split("=", 1) for item in disposition.split(";")[1:] if "=" in item)
            name = params["name"].strip('"')
            if "filename" in params:
                sent.files.append((name, params["filename"].strip('"'), part.content))
            else:
                sent.form.append((name, part.text))
    elif body:
        text = body.decode() if isinstance(body, bytes) else body
        sent.form = parse_qsl(text, keep_blank_values=True)
    return sent


@pytest.fixture
def sent() -> list[Sent]:
    return []


@pytest.fixture
def answer(requests_mock: Any, sent: list[Sent]) -> Callable[..., None]:
    """Register an answer; every matching request is decoded into ``sent`` while its files are still open."""

    def register(
        method: str,
        path: str,
        json: Any = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        text: str | None = None,
        responses: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        def body_callback(payload: Any) -> Callable[[Any, Any], Any]:
            def callback(request: Any, context: Any) -> Any:
                sent.append(decode(request))
                return payload

            return callback

        url = BASE + path
        if "exc" in kwargs:
            requests_mock.register_uri(method, url, exc=kwargs["exc"])
            return
        if responses is not None:
            items = []
            for item in responses:
                item = dict(item)
                if "json" in item:
                    item["json"] = body_callback(item["json"])
                elif "text" in item:
                    item["text"] = body_callback(item["text"])
                elif "exc" not in item:
                    item["text"] = body_callback("")
                items.append(item)
            requests_mock.register_uri(method, url, items)
            return
        if text is not None:
            requests_mock.register_uri(
                method, url, text=body_callback(text), status_code=status, headers=headers or {}, **kwargs
            )
        else:
            requests_mock.register_uri(
                method, url, json=body_callback(json), status_code=status, headers=headers or {}, **kwargs
            )

    return register


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Callable[..., Translate5Client]:
    def build(**kwargs: Any) -> Translate5Client:
        kwargs.setdefault("retry", RetryPolicy(jitter=False, sleep=sleeps.append))
        return Translate5Client(kwargs.pop("base_url", BASE), kwargs.pop("token", TOKEN), **kwargs)

    return build


@pytest.fixture
def client(make_client: Callable[..., Translate5Client]) -> Translate5Client:
    return make_client()


@pytest.fixture
def languages(answer: Callable[..., None]) -> None:
    answer("GET", "/editor/language", {"rows": LANGUAGES, "total": len(LANGUAGES)})


def task_row(task_id: int = 7, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": task_id,
        "taskGuid": "{0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0}",
        "taskName": f"Task {task_id}",
        "state": "open",
        "entityVersion": 3,
        "taskType": "default",
        "projectId": task_id,
        "sourceLang": 5,
        "targetLang": 4,
        "relaisLang": 0,
        "workflow": "default",
        "workflowStepName": "translation",
    }
    row.update(fields)
    return row
