"""Write WARC/1.1 files (gzip per record): warcinfo, then request + response pairs.

Files are rotated by size and written under a temporary name, renamed when closed, so
a reader never sees a half-written file under its final name.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscorpus._version import __version__

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024


OPEN_SUFFIX = ".open"

REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def payload_digest(body: bytes) -> str:
    """A body's digest as WARC-Payload-Digest writes it (``sha1:`` and base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body, usedforsecurity=False).digest()).decode(
        "ascii"
    )


def recover_open_files(directory: Path, committed_bytes: Callable[[str], int]) -> list[Path]:
    """Close the files a killed writer left open, keeping only their committed records
    (files still locked by a live writer are left alone).

    ``committed_bytes(name)`` is how much of file ``name`` is known to be complete.
    Returns the files kept; a file with nothing committed is removed.
    """
    kept = []
    for path in sorted(directory.glob(f"*{OPEN_SUFFIX}")):
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        try:
            handle = path.open("r+b")
        except FileNotFoundError:  # closed by its writer meanwhile
            continue
        with handle:
            try:  # a live writer (another crawl worker) holds its file locked
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            try:  # locked, but is it still the file of that name? (closed and renamed)
                if path.stat().st_ino != os.fstat(handle.fileno()).st_ino:
                    continue
            except FileNotFoundError:
                continue
            length = committed_bytes(final.name)
            size = os.fstat(handle.fileno()).st_size
            if length > size:  # the machine went down before the disk had it all
                logger.warning(
                    "%s holds %d bytes, %d were recorded as complete: the last pages "
                    "recorded as archived are missing from it",
                    final.name, size, length,
                )  # fmt: skip
                length = size
            if length <= 0:
                path.unlink()
                continue
            handle.truncate(length)
            os.fsync(handle.fileno())
            path.replace(final)
        kept.append(final)
        logger.info("recovered %s (%d bytes of complete records)", final.name, length)
    return kept


class WarcFileWriter:
    """Appends request/response pairs to ``DIR/PREFIX-TIMESTAMP-NNNNN.warc.gz`` files."""

    def __init__(
        self,
        directory: Path,
        prefix: str = "newscorpus",
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        info: dict[str, str] | None = None,
        rotate_automatically: bool = True,
    ) -> None:
        self.directory = directory
        self.rotate_automatically = rotate_automatically
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
        self.last_end = 0  # bytes of complete records in the file last written to

    def write_exchange(  # noqa: PLR0913 (what a WARC records of an exchange; the last three keyword-only)
        self,
        url: str,
        request_headers: list[tuple[str, str]],
        status_line: str,
        response_headers: list[tuple[str, str]],
        body: bytes,
        *,
        method: str = "GET",
        protocol: str = "HTTP/1.1",
        date: str | None = None,
    ) -> tuple[str, int]:
        """Archive one HTTP exchange, fetched at ``date`` (WARC-Date; now when None);
        returns (file name, offset of the response record)."""
        writer = self._current_writer()
        date = date or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(status_line, response_headers, protocol=protocol),
            warc_headers_dict={"WARC-Date": date},
        )
        return self._write_with_request(response, request_headers, method, protocol, date)

    def write_revisit(
        self,
        url: str,
        request_headers: list[tuple[str, str]],
        status_line: str,
        response_headers: list[tuple[str, str]],
        refers_to_date: str | None,
        protocol: str = "HTTP/1.1",
        payload_digest: str | None = None,
    ) -> tuple[str, int]:
        """Archive a re-visit that brought nothing new: a revisit record (ISO 28500, WARC
        1.1) holding the response's headers, naming the earlier capture, with its request;
        of profile server-not-modified (a 304), or identical-payload-digest when
        ``payload_digest`` says the body sent is the one archived before. Returns (file
        name, offset of the revisit record)."""
        writer = self._current_writer()
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "WARC-Date": date,
            "WARC-Profile": REVISIT_IDENTICAL if payload_digest else REVISIT_NOT_MODIFIED,
            "WARC-Refers-To-Target-URI": url,
        }
        if payload_digest:
            headers["WARC-Payload-Digest"] = payload_digest
        if refers_to_date:
            headers["WARC-Refers-To-Date"] = refers_to_date
        revisit = writer.create_warc_record(
            url,
            "revisit",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(status_line, response_headers, protocol=protocol),
            warc_headers_dict=headers,
        )
        return self._write_with_request(revisit, request_headers, "GET", protocol, date)

    def _write_with_request(
        self,
        record: ArcWarcRecord,
        request_headers: list[tuple[str, str]],
        method: str,
        protocol: str,
        date: str,
    ) -> tuple[str, int]:
        """Write ``record`` (a response or revisit) and the request it answers, flushed
        to the OS whole; returns (file name, offset of ``record``)."""
        writer = self._current_writer()
        assert self._stream is not None and self._path is not None
        url = record.rec_headers.get_header("WARC-Target-URI")
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
        request.rec_headers.add_header(
            "WARC-Concurrent-To", record.rec_headers.get_header("WARC-Record-ID")
        )
        offset = self._stream.tell()
        writer.write_record(record)
        writer.write_record(request)
        self._stream.flush()  # complete records reach the OS: a killed process keeps them
        name = self._path.name.removesuffix(OPEN_SUFFIX)
        self.last_end = self._stream.tell()
        if self.rotate_automatically:
            self.rotate_if_full()
        return name, offset

    def rotate_if_full(self) -> None:
        """Close the current file once it reached the size limit; the next write opens one.

        A caller that records what is committed (the crawler) rotates only after it did,
        so that a file is never renamed final before its last record is accounted for.
        """
        if self._stream is not None and self.last_end >= self.max_file_bytes:
            self._close_file()

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
        while True:  # never reuse a name, even for a run started in the same second
            name = f"{self.prefix}-{self._stamp}-{self._serial:05d}.warc.gz"
            self._serial += 1
            self._path = self.directory / f"{name}{OPEN_SUFFIX}"
            if not (self.directory / name).exists() and not self._path.exists():
                break
        # Created under a name recovery ignores, locked, then given its open name: recovery
        # (by another crawl worker) never sees an open file that is not locked by its
        # live writer, and the lock is held until the file has its final name.
        creating = self._path.with_name(f".{self._path.name}.new")
        self._stream = creating.open("xb")
        fcntl.flock(self._stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        creating.replace(self._path)
        self._writer = WARCWriter(self._stream, gzip=True, warc_version="WARC/1.1")
        self._writer.write_record(self._writer.create_warcinfo_record(name, self.info))
        return self._writer

    def _close_file(self) -> None:
        if self._stream is None or self._path is None:
            return
        self._stream.flush()
        os.fsync(self._stream.fileno())
        final = self._path.with_name(self._path.name.removesuffix(OPEN_SUFFIX))
        self._path.replace(final)  # renamed while still locked, then closed
        self._stream.close()
        self.files.append(final)
        logger.info("wrote %s", final)
        self._stream = self._writer = self._path = None
