"""Write WARC/1.1 files (gzip per record): warcinfo, then request + response pairs.

Files are rotated by size and written under a temporary name, renamed when closed, so
a reader never sees a half-written file under its final name.
"""

from __future__ import annotations

import io
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscorpus import __version__

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024


class WarcFileWriter:
    """Appends request/response pairs to ``DIR/PREFIX-TIMESTAMP-NNNNN.warc.gz`` files."""

    def __init__(
        self,
        directory: Path,
        prefix: str = "newscorpus",
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        info: dict[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_file_bytes = max_file_bytes
        self.info = {"software": f"newscorpus/{__version__}", "format": "WARC File Format 1.1"}
        self.info.update(info or {})
        self.files: list[Path] = []
        self._stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self._serial = 0
        self._stream: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._path: Path | None = None

    def write_exchange(
        self,
        url: str,
        request_headers: list[tuple[str, str]],
        status_line: str,
        response_headers: list[tuple[str, str]],
        body: bytes,
        method: str = "GET",
        protocol: str = "HTTP/1.1",
    ) -> tuple[str, int]:
        """Archive one HTTP exchange; returns (file name, offset of the response record)."""
        writer = self._current_writer()
        assert self._stream is not None and self._path is not None
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
        request = writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(
                f"{method} /{path} {protocol}", request_headers, is_http_request=True
            ),
            warc_headers_dict={"WARC-Date": date},
        )
        response = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(status_line, response_headers, protocol=protocol),
            warc_headers_dict={"WARC-Date": date},
        )
        request.rec_headers.add_header(
            "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
        )
        offset = self._stream.tell()
        writer.write_record(response)
        writer.write_record(request)
        name = self._path.name.removesuffix(".open")
        if self._stream.tell() >= self.max_file_bytes:
            self._close_file()
        return name, offset

    def close(self) -> None:
        self._close_file()

    def __enter__(self) -> WarcFileWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _current_writer(self) -> WARCWriter:
        if self._writer is not None:
            return self._writer
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}-{self._stamp}-{self._serial:05d}.warc.gz"
        self._serial += 1
        self._path = self.directory / f"{name}.open"
        self._stream = self._path.open("wb")
        self._writer = WARCWriter(self._stream, gzip=True, warc_version="WARC/1.1")
        self._writer.write_record(self._writer.create_warcinfo_record(name, self.info))
        return self._writer

    def _close_file(self) -> None:
        if self._stream is None or self._path is None:
            return
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        final = self._path.with_name(self._path.name.removesuffix(".open"))
        self._path.replace(final)
        self.files.append(final)
        logger.info("wrote %s", final)
        self._stream = self._writer = self._path = None
