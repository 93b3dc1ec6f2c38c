"""Request body decoding: urlencoded forms, exact ``application/json``, and multipart streamed to disk.

Multipart uploads go through python-multipart's streaming parser straight into files, so a 1 GiB upload
costs a 1 GiB temp file and a few 64 KiB buffers, never 1 GiB of memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import parse_qs

from python_multipart.multipart import MultipartParser, parse_options_header

from airflow_provider_translate5.testing.protocol import JSON_TYPE, ApiError, UploadedFile

CHUNK = 1 << 16
MAX_FORM_BYTES = 64 << 20  # non-multipart bodies are read into memory; bigger ones are refused


class _Stream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def readline(self, size: int = -1, /) -> bytes: ...


class BodyReader:
    """Reads exactly one request body (Content-Length or chunked) so keep-alive connections stay in sync."""

    def __init__(self, rfile: _Stream, length: int | None, chunked: bool) -> None:
        self._rfile = rfile
        self._remaining = length or 0
        self._chunked = chunked
        self._chunk_left = 0
        self._done = not chunked and not length

    def chunks(self) -> Iterator[bytes]:
        while not self._done:
            data = self._read_some()
            if data:
                yield data

    def _read_some(self) -> bytes:
        if not self._chunked:
            data = self._rfile.read(min(CHUNK, self._remaining))
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            self._remaining -= len(data)
            self._done = self._remaining <= 0
            return data
        if self._chunk_left == 0:
            size_line = self._rfile.readline(1024)
            if not size_line:
                raise ConnectionError("client closed the connection mid-body")
            try:
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            except ValueError:
                raise ConnectionError("malformed chunked request body") from None
            if size == 0:
                while self._rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self._done = True
                return b""
            self._chunk_left = size
        data = self._rfile.read(min(CHUNK, self._chunk_left))
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._rfile.readline(16)  # CRLF after the chunk
        return data

    def read_all(self, limit: int = MAX_FORM_BYTES) -> bytes:
        parts: list[bytes] = []
        size = 0
        for data in self.chunks():
            size += len(data)
            if size > limit:
                self.drain()
                raise ApiError.coded(400, "E1559", "Request body too large for a non-upload request.")
            parts.append(data)
        return b"".join(parts)

    def drain(self) -> None:
        for _ in self.chunks():
            pass


def _parse_urlencoded(raw: bytes) -> dict[str, list[str]]:
    return parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)


def read_body(
    reader: BodyReader, content_type: str, upload_dir: Path
) -> tuple[dict[str, list[str]], dict[str, list[UploadedFile]], bytes | None]:
    """Return (form fields, uploaded files, raw JSON body) for any request."""
    mime, options = parse_options_header(content_type)
    if mime == b"multipart/form-data" and b"boundary" in options:
        return (*_read_multipart(reader, options[b"boundary"], upload_dir), None)
    raw = reader.read_all()
    if content_type == JSON_TYPE:  # exact string compare, like ZfExtended's HttpRequest::getData
        return {}, {}, raw
    if mime == b"application/x-www-form-urlencoded":
        return _parse_urlencoded(raw), {}, None
    return {}, {}, None


class _PartCollector:
    """python-multipart callbacks: fields into memory (small), files into ``upload_dir``."""

    def __init__(self, upload_dir: Path) -> None:
        self.upload_dir = upload_dir
        self.fields: dict[str, list[str]] = {}
        self.files: dict[str, list[UploadedFile]] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._filename: str | None = None
        self._content_type = "application/octet-stream"
        self._buffer = bytearray()
        self._fh: BinaryIO | None = None
        self._path: Path | None = None
        self._size = 0
        self._newlines = 0
        self._units = 0
        self._tail = b""

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_cb,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._buffer = bytearray()
        self._size = self._newlines = self._units = 0
        self._tail = b""

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field = bytearray()
        self._header_value = bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        self._filename = None if raw_filename is None else raw_filename.decode("utf-8", "replace")
        self._content_type = self._headers.get(b"content-type", b"application/octet-stream").decode("latin-1")
        if self._filename is not None:
            fd, name = tempfile.mkstemp(dir=self.upload_dir, prefix="upload-")
            self._fh = os.fdopen(fd, "wb")
            self._path = Path(name)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._fh is None:
            self._buffer += data[start:end]
            return
        view = memoryview(data)[start:end]
        self._fh.write(view)
        self._size += end - start
        self._newlines += data.count(b"\n", start, end)
        # Segment estimate; a marker split across two chunks is counted via the carried-over tail.
        window = self._tail + bytes(view[:16])
        self._units += window.count(b"<trans-unit") + window.count(b"<unit ")
        if end - start > 16:
            self._units += data.count(b"<trans-unit", start + 16, end) + data.count(
                b"<unit ", start + 16, end
            )
        self._tail = bytes(view[-10:])

    def _part_end(self) -> None:
        if self._fh is None:
            self.fields.setdefault(self._name, []).append(self._buffer.decode("utf-8", "replace"))
            return
        self._fh.close()
        self._fh = None
        assert self._path is not None
        assert self._filename is not None
        if self._filename == "" and self._size == 0:  # browser-style "no file chosen" part
            self._path.unlink()
            return
        upload = UploadedFile(
            field=self._name,
            filename=os.path.basename(self._filename.replace("\\", "/")),
            path=self._path,
            size=self._size,
            content_type=self._content_type,
            newlines=self._newlines,
            units=self._units,
        )
        self.files.setdefault(self._name, []).append(upload)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _read_multipart(
    reader: BodyReader, boundary: bytes, upload_dir: Path
) -> tuple[dict[str, list[str]], dict[str, list[UploadedFile]]]:
    collector = _PartCollector(upload_dir)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        for data in reader.chunks():
            parser.write(data)
        parser.finalize()
    except ConnectionError:
        raise
    except Exception as exc:  # malformed multipart: PHP would drop the upload and validation fails later
        reader.drain()
        raise ApiError.coded(400, "E1559", f"Invalid multipart body: {exc}") from None
    finally:
        collector.close()
    return collector.fields, collector.files
