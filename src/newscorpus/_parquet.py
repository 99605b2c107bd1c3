"""One Parquet file written atomically: rows stream to a hidden temporary file in row
groups (memory stays flat) that is renamed into place only on ``commit``.

Memory is bounded by bytes, not rows: a row group is written once ``ROW_GROUP_ROWS`` rows
or ``ROW_GROUP_BYTES`` of row data are buffered, whichever comes first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 2000
# Buffered row data (as estimated by ``row_bytes``) that makes a row group: with short
# articles ``ROW_GROUP_ROWS`` comes first; 300 articles of 500 KB make ~10 row groups.
# Reading a row group takes about twice its size in Arrow memory, writing one two to four
# times. Read when a writer is made (not bound as a default): a benchmark can change it.
ROW_GROUP_BYTES = 16 * 1024 * 1024
TMP_SUFFIX = ".tmp"  # of ``.NAME.tmp``, the file being written


class _AbortUnlessCommitted:
    """Used with ``with``: leaving the block without ``commit`` aborts."""

    _committed: bool

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.abort()


def row_bytes(value: Any) -> int:
    """About the memory a row (or a value of it) takes, from the lengths of its strings:
    cheap (no encoding), and within a small factor of its Arrow size in any script."""
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return 64 + sum(row_bytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return 56 + sum(row_bytes(v) for v in value)
    return 16


class AtomicParquetWriter(_AbortUnlessCommitted):
    """One Parquet file, invisible under its final name until ``commit``.

    Rows are buffered until ``row_group_rows`` rows or ``row_group_bytes`` bytes of them
    (default ``ROW_GROUP_BYTES``) are waiting, then written as one row group."""

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        row_group_rows: int = ROW_GROUP_ROWS,
        row_group_bytes: int | None = None,
    ):
        self.path = path
        self.schema = schema
        self.row_group_rows = row_group_rows
        self.row_group_bytes = ROW_GROUP_BYTES if row_group_bytes is None else row_group_bytes
        self.rows = 0
        self.buffered_bytes = 0
        self._tmp = path.with_name(f".{path.name}{TMP_SUFFIX}")
        self._buffer: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._committed = False

    def write(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        self.rows += 1
        self.buffered_bytes += row_bytes(row)
        if len(self._buffer) >= self.row_group_rows or self.buffered_bytes >= self.row_group_bytes:
            self.flush()

    def write_table(self, table: pa.Table) -> None:
        """Rows already in Arrow form (a batch): written as they are, in one row group."""
        self.flush()
        if self._writer is None:
            self._open()
        assert self._writer is not None
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def commit(self) -> Path:
        self.flush()
        if self._writer is None:  # no rows: still a valid (empty) file
            self._open()
        assert self._writer is not None
        self._writer.close()
        self._writer = None
        with self._tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        self._tmp.replace(self.path)
        self._committed = True
        return self.path

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._tmp.unlink(missing_ok=True)
        self._buffer.clear()
        self.buffered_bytes = 0

    def _open(self) -> None:
        self._tmp.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(
            self._tmp, self.schema, compression="zstd", compression_level=6
        )

    def flush(self) -> None:
        """Write the buffered rows as one row group (nothing when none are buffered)."""
        if not self._buffer:
            return
        if self._writer is None:
            self._open()
        assert self._writer is not None
        table = pa.Table.from_pylist(self._buffer, schema=self.schema)
        self._buffer.clear()  # the rows' strings go as soon as Arrow holds its copy
        self.buffered_bytes = 0
        self._writer.write_table(table, row_group_size=table.num_rows)
