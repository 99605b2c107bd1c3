from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscorpus import corpus as corpus_module
from newscorpus.corpus import Corpus
from newscorpus.errors import UserError

# Another process holds the corpus's lock until its stdin closes.
_HOLDER = """
import sys
from pathlib import Path
from newscorpus.corpus import Corpus
with Corpus(Path(sys.argv[1])).lock():
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_one_run_at_a_time_and_a_dead_runs_lock_is_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus_module, "LOCK_WAIT_SECONDS", 0.5)
    corpus = Corpus(tmp_path / "c")
    corpus.prepare()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(corpus.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        with pytest.raises(UserError, match="being written by another process"), corpus.lock():
            pass
        assert time.monotonic() - started >= 0.5  # it waited for a lock about to go
    finally:
        holder.kill()  # killed, not ended: its lock goes with it
        holder.wait()
    # what a killed writer left half-written is removed once the lock is taken
    half_written = corpus.state / "staged" / ".00000.parquet.x1y2.tmp"
    half_written.parent.mkdir(parents=True)
    half_written.write_bytes(b"half")
    with corpus.lock():
        assert not half_written.exists()


def test_each_shard_and_stage_has_its_own_files(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path)
    per_shard = [
        corpus.marker,
        corpus.extracted_marker,
        corpus.staged,
        corpus.line_counts,
        corpus.filtered_marker,
        corpus.filtered,
        corpus.new_keys,
        corpus.index_keys,
    ]
    paths = [where(shard) for where in per_shard for shard in (0, 1, 12345)]
    assert len(set(paths)) == len(paths)
    assert all(path.is_relative_to(corpus.state) for path in paths)


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot write here"):
        Corpus(blocker / "corpus").prepare()
