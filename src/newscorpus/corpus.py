"""The corpus folder a run writes: where its private state lives, and the lock that lets
one run at a time write it.

``CORPUS/.state/`` holds what a run needs to resume and a later run to grow the corpus:
the shard plan and the options the corpus was built with, each shard's completion
markers and the documents between stages, the line counts and boilerplate index, and
the dedup keys and index. The documents themselves (``data/``, ``dropped/``) are the
store's (``store.parquet``).
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from newscorpus._files import remove_stale_temporaries
from newscorpus.errors import UserError

logger = logging.getLogger(__name__)

STATE_DIR = ".state"
DATA_DIR = "data"  # data/<language>/<shard>.parquet: the store's
VERSIONS_DIR = "versions"  # versions/<language>/<shard>.parquet: every version of changed articles
LOCK_WAIT_SECONDS = 3.0


def shard_file_name(shard: int) -> str:
    return f"{shard:05d}.parquet"


@dataclass(frozen=True, slots=True)
class Corpus:
    """The folder at ``root``; its paths are computed, never stored."""

    root: Path

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def plan_file(self) -> Path:
        """The shard plan (``store.plan.ShardPlan``)."""
        return self.state / "shards.json"

    @property
    def options_file(self) -> Path:
        """The options the corpus was built with, pinned by its first run."""
        return self.state / "options.json"

    @property
    def boilerplate_index(self) -> Path:
        return self.state / "boilerplate.sqlite"

    @property
    def page_index(self) -> Path:
        """The pages of this run's multi-page articles (``store.page_index``)."""
        return self.state / "pages.parquet"

    @property
    def dedup_dir(self) -> Path:
        return self.state / "dedup"

    def marker(self, shard: int) -> Path:
        """``shard`` is stored: its final completion marker (its result)."""
        return self.state / "done" / f"{shard:05d}.json"

    def markers(self) -> list[Path]:
        return sorted((self.state / "done").glob("*.json"))

    def extracted_marker(self, shard: int) -> Path:
        """Stage 1 (extract) of ``shard`` is done."""
        return self.state / "extracted" / f"{shard:05d}.json"

    def staged(self, shard: int) -> Path:
        """The documents of ``shard`` between stage 1 and stage 2."""
        return self.state / "staged" / shard_file_name(shard)

    def line_counts(self, shard: int) -> Path:
        """Line counts of ``shard``, until merged into the boilerplate index."""
        return self.state / "lines" / shard_file_name(shard)

    def filtered_marker(self, shard: int) -> Path:
        """Stage 2 (filter) of ``shard`` is done."""
        return self.state / "filtered" / f"{shard:05d}.json"

    def filtered(self, shard: int) -> Path:
        """The documents of ``shard`` between stage 2 and the store stage."""
        return self.state / "filtered" / shard_file_name(shard)

    def new_keys(self, shard: int) -> Path:
        """Dedup keys of the documents ``shard`` passed, until the shard is stored."""
        return self.dedup_dir / "keys" / shard_file_name(shard)

    def index_keys(self, shard: int) -> Path:
        """Dedup keys of the documents ``shard`` stored: the corpus's dedup index."""
        return self.dedup_dir / "index" / shard_file_name(shard)

    def shard_files(self, shard: int) -> list[Path]:
        """The Parquet files (one per language) that ``shard`` stored."""
        return sorted((self.root / DATA_DIR).glob(f"*/{shard_file_name(shard)}"))

    def version_files(self, shard: int) -> list[Path]:
        """The Parquet files (one per language) of the versions that ``shard`` stored."""
        return sorted((self.root / VERSIONS_DIR).glob(f"*/{shard_file_name(shard)}"))

    def versions_file(self, language: str, shard: int) -> Path:
        """The versions (``dedup.versions``) that ``shard`` stored in ``language``."""
        return self.root / VERSIONS_DIR / language / shard_file_name(shard)

    def prepare(self) -> None:
        """Create the folder, or say clearly why it cannot be written."""
        try:
            self.state.mkdir(parents=True, exist_ok=True)
            probe = self.state / ".write-test"
            probe.write_text("ok", encoding="utf-8")
            probe.unlink()
        except OSError as exc:
            raise UserError(f"{self.root}: cannot write here ({exc.strerror or exc})") from exc

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One run at a time writes the corpus: two would redo each other's shards."""
        with (self.state / "lock").open("w") as handle:
            # The lock dies with the run that holds it (and with its workers, which exit
            # within a second of their parent): a killed run's lock is gone by the time
            # it is run again. Wait that long before calling the corpus busy.
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        raise UserError(f"{self.root} is being written by another process") from exc
                    time.sleep(0.1)
            removed = remove_stale_temporaries(self.root)
            if removed:
                logger.info("removed %d half-written file(s) of an interrupted run", removed)
            yield
