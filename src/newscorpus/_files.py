"""Atomic file writes: readers see the old file or the new one, never half of one; and
the reading of the JSON files so written."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from newscorpus.errors import UserError


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()


@contextmanager
def open_atomic(path: Path, durable: bool = True) -> Iterator[IO[str]]:
    """A text file that replaces ``path`` when the block ends, and vanishes if it fails.

    ``durable`` also fsyncs it first (state a crash must not lose); leave it off for bulk
    output that can simply be written again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600; these files are meant to be shared
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path``, durably and atomically."""
    with open_atomic(path) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2, sort_keys=True)


def remove_stale_temporaries(root: Path) -> int:
    """Remove the half-written files (``.NAME.*.tmp``) a killed writer left under ``root``;
    only call it while holding the lock that keeps every other writer out. Returns how
    many were removed."""
    removed = 0
    for folder, _, names in os.walk(root):
        for name in names:
            if name.startswith(".") and name.endswith(".tmp"):
                Path(folder, name).unlink(missing_ok=True)
                removed += 1
    return removed


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_rebuilt_json(path: Path) -> dict[str, Any]:
    """A JSON table that every run of process rebuilds (manifest, boilerplate report): a
    damaged one is a one-line error saying so. A missing one raises FileNotFoundError."""
    try:
        data = read_json(path)
    except ValueError as exc:
        raise UserError(f"{path}: damaged ({exc}); run process again to rebuild it") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: damaged (not a JSON object); run process again to rebuild it")
    return data
