"""Large uploads are streamed to disk: memory does not grow with the upload size."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Iterator

import requests

from airflow_provider_translate5.testing import Translate5Simulator

from .conftest import url, wait_state

SIZE = 64 << 20
LINE = b"Some source text that goes to translation.\n"


class _MultipartStream:
    """A multipart body generated on the fly, with a known length so requests streams it from read()."""

    def __init__(self, fields: dict[str, str], filename: str, size: int) -> None:
        self.boundary = uuid.uuid4().hex
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        head += (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="importUpload"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        self._parts = [head, None, f"\r\n--{self.boundary}--\r\n".encode()]
        self._size = size
        self.length = len(head) + size + len(self._parts[2])  # type: ignore[arg-type]
        self._iter = self._chunks()
        self._pending = b""

    def _chunks(self) -> Iterator[bytes]:
        yield self._parts[0]  # type: ignore[misc]
        block = LINE * (65536 // len(LINE))
        remaining = self._size
        while remaining:
            piece = block[:remaining]
            remaining -= len(piece)
            yield piece
        yield self._parts[2]  # type: ignore[misc]

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        while len(self._pending) < max(size, 1):
            try:
                self._pending += next(self._iter)
            except StopIteration:
                break
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


def test_64_mib_upload_streams_to_disk(sim: Translate5Simulator) -> None:
    body = _MultipartStream({"taskName": "big", "sourceLang": "en", "targetLang": "de"}, "big.txt", SIZE)
    headers = {
        "Accept": "application/json",
        "Translate5AuthToken": sim.token,
        "Content-Type": f"multipart/form-data; boundary={body.boundary}",
        "Content-Length": str(len(body)),
    }
    tracemalloc.start()
    try:
        response = requests.post(url(sim, "/editor/task"), data=body, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.text
    assert peak < SIZE // 4  # loose bound: far below the upload size
    task_id = response.json()["rows"]["id"]
    stored = next(f for f in sim.store.tasks[int(task_id)].files if f.kind == "workfiles")
    assert stored.path.stat().st_size == SIZE
    with requests.Session() as api:
        api.headers.update({"Accept": "application/json", "Translate5AuthToken": sim.token})
        assert wait_state(sim, api, task_id)["state"] == "open"


def test_chunked_upload(sim: Translate5Simulator) -> None:
    boundary = uuid.uuid4().hex

    def chunks() -> Iterator[bytes]:
        for name, value in (("taskName", "chunked"), ("sourceLang", "en"), ("targetLang", "de")):
            yield f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        yield f"--{boundary}\r\n".encode()
        yield b'Content-Disposition: form-data; name="importUpload"; filename="a.txt"\r\n\r\n'
        yield b"hello\n" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = requests.post(
        url(sim, "/editor/task"),
        data=chunks(),
        headers={
            "Accept": "application/json",
            "Translate5AuthToken": sim.token,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["rows"]["taskName"] == "chunked"
