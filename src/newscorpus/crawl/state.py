"""The crawl's memory between runs: ``RUN/crawl-state.sqlite``.

One row per URL the crawl decided to fetch: queued (the frontier), done, or failed, with
the validators (ETag, Last-Modified) for conditional requests next time, and for an
archived article its re-visits (``crawl.revisits``): when it was first and last archived,
how many visits were made, when the next one is due. One row per WARC
file with the number of bytes known to hold complete, committed records: after a SIGKILL
the half-written file is cut back to that length, so no response is archived twice.

Every change is committed at once (WAL mode): a killed crawl loses at most the response
in flight, which is then fetched again.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newscorpus.crawl.revisits import NO_REVISITS, Schedule, next_visit

STATE_FILE = "crawl-state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    last_modified TEXT,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS urls_status ON urls (status);
CREATE TABLE IF NOT EXISTS warc_files (
    name TEXT PRIMARY KEY,
    committed_bytes INTEGER NOT NULL
);
"""

# Re-visit columns, added to a state file of an older newscorpus when opened.
_REVISIT_COLUMNS = {
    "first_archived": "REAL",  # epoch seconds of the first archived response
    "archived_at": "TEXT",  # WARC-Date of the last archived response
    "visits": "INTEGER NOT NULL DEFAULT 0",  # re-visits made
    "next_visit": "REAL",  # epoch seconds when the next re-visit is due, or NULL
    "payload_digest": "TEXT",  # WARC-Payload-Digest of the last archived body
}

# Kinds of request archived once and never fetched again, but on re-visits: articles and
# their later pages.
ARTICLE_KINDS = ("article", "page")
REVISIT = "revisit"  # the kind of a re-visit's request (the URL's own kind stays)

# (ETag, Last-Modified) of a page, to ask for it again only if it changed
Validators = tuple[str | None, str | None]
NO_VALIDATORS: Validators = (None, None)


@dataclass(slots=True)
class QueuedUrl:
    url: str
    kind: str
    depth: int


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CrawlState:
    """Frontier, fetched URLs and committed WARC lengths of one crawl folder."""

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / STATE_FILE
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        known = {row[1] for row in self._db.execute("PRAGMA table_info(urls)")}
        for column, declaration in _REVISIT_COLUMNS.items():
            if column not in known:
                self._db.execute(f"ALTER TABLE urls ADD COLUMN {column} {declaration}")
        self._db.execute("CREATE INDEX IF NOT EXISTS urls_next_visit ON urls (next_visit)")
        self._pages: Counter[str] = Counter()  # page requests per host in this run

    def close(self) -> None:
        self._db.close()

    def status(self, url: str) -> str | None:
        row = self._db.execute("SELECT status FROM urls WHERE url = ?", (url,)).fetchone()
        return None if row is None else str(row[0])

    def validators(self, url: str) -> Validators:
        row = self._db.execute(
            "SELECT etag, last_modified FROM urls WHERE url = ?", (url,)
        ).fetchone()
        return (None, None) if row is None else (row[0], row[1])

    def enqueue(self, url: str, kind: str, depth: int) -> bool:
        """Remember ``url`` as queued unless already known; True if it is new."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO urls (url, kind, status, depth, updated) VALUES (?, ?, ?, ?, ?)",
            (url, kind, "queued", depth, _now()),
        )
        return cursor.rowcount == 1

    def requeue(self, url: str, kind: str, depth: int) -> None:
        """Queue a hub page (home, feed, sitemap) again: they change between crawls.

        A URL archived as an article stays done, whatever links to it now.
        """
        self._db.execute(
            "INSERT INTO urls (url, kind, status, depth, updated) VALUES (?, ?, 'queued', ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET status = 'queued', updated = excluded.updated "
            "WHERE NOT (urls.kind IN ('article', 'page') AND urls.status = 'done')",
            (url, kind, depth, _now()),
        )

    def claim(self, url: str, kind: str, depth: int, refetch: bool) -> str | None:
        """Whether this crawl should fetch ``url`` now: None if so, else why not.

        ``refetch``: a hub (home, feed, sitemap, listing), fetched on every crawl, unless
        the URL was archived as an article."""
        if refetch:
            self.requeue(url, kind, depth)
            return "archived" if self.status(url) == "done" else None
        if self.status(url) == "done":
            return "archived_before"
        self.enqueue(url, kind, depth)
        return None

    def pages(self, host: str) -> int:
        """Pages (not feeds, sitemaps, robots.txt) requested from ``host`` in this crawl."""
        return self._pages[host]

    def add_page(self, host: str) -> None:
        self._pages[host] += 1

    def done_with(self, urls: Sequence[str]) -> None:
        """Nothing to release: a lone crawl shares no requests in flight."""

    def queued(self, max_attempts: int = 3) -> Iterator[QueuedUrl]:
        """The frontier: URLs queued and not fetched, and failures worth another try."""
        rows = self._db.execute(
            "SELECT url, kind, depth FROM urls WHERE status = 'queued' "
            "OR (status = 'failed' AND attempts < ?) ORDER BY rowid",
            (max_attempts,),
        ).fetchall()
        for url, kind, depth in rows:
            yield QueuedUrl(url, kind, depth)

    def finish(
        self,
        urls: Sequence[str],
        status: str,
        kind: str,
        validators: Validators = NO_VALIDATORS,
        warc: tuple[str, int] | None = None,
        revisits: Schedule = NO_REVISITS,
        digest: str | None = None,
    ) -> None:
        """Mark ``urls`` (a request, the URLs that redirected to it, where it ended) done
        or failed; URLs not known yet (redirect targets) are added.

        With ``warc``, that file's new committed length is saved in the same transaction;
        with ``revisits``, the first re-visit of the last URL (the archived article) is
        scheduled in it too.
        """
        failed = int(status == "failed")
        etag, last_modified = validators
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO urls (url, kind, status, attempts, etag, last_modified, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "status = excluded.status, attempts = urls.attempts + excluded.attempts, "
                "etag = COALESCE(excluded.etag, urls.etag), "
                "last_modified = COALESCE(excluded.last_modified, urls.last_modified), "
                "updated = excluded.updated",
                [(url, kind, status, failed, etag, last_modified, _now()) for url in urls],
            )
            if warc is not None:
                self._commit_warc(*warc)
                now = time.time()
                self._db.execute(
                    "UPDATE urls SET first_archived = COALESCE(first_archived, ?), "
                    "archived_at = ?, next_visit = ?, payload_digest = ? WHERE url = ?",
                    (now, _now(), next_visit(now, 0, revisits), digest, urls[-1]),
                )

    def due_revisits(self, now: float, limit: int = 100_000) -> list[str]:
        """Archived articles whose next re-visit is due, the most overdue first."""
        rows = self._db.execute(
            "SELECT url FROM urls WHERE next_visit <= ? ORDER BY next_visit LIMIT ?",
            (now, limit),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def revisited(
        self,
        url: str,
        revisits: Schedule,
        validators: Validators = NO_VALIDATORS,
        warc: tuple[str, int] | None = None,
        changed: bool = False,
        digest: str | None = None,
    ) -> None:
        """One re-visit of ``url`` made (its record in ``warc``: a new response when
        ``changed``, with its body's ``digest``, else a revisit record), the next one
        scheduled: in one transaction."""
        etag, last_modified = validators
        with self._db:
            self._db.execute("BEGIN")
            row = self._db.execute(
                "SELECT first_archived, visits FROM urls WHERE url = ?", (url,)
            ).fetchone()
            first, visits = (row[0], row[1]) if row and row[0] is not None else (time.time(), 0)
            self._db.execute(
                "UPDATE urls SET visits = ?, next_visit = ?, etag = COALESCE(?, etag), "
                "last_modified = COALESCE(?, last_modified), updated = ?, "
                "archived_at = CASE WHEN ? THEN ? ELSE archived_at END, "
                "payload_digest = COALESCE(?, payload_digest) WHERE url = ?",
                (
                    visits + 1,
                    next_visit(first, visits + 1, revisits),
                    etag,
                    last_modified,
                    _now(),
                    changed,
                    _now(),
                    digest,
                    url,
                ),
            )
            if warc is not None:
                self._commit_warc(*warc)

    def archived_at(self, url: str) -> str | None:
        """WARC-Date of the last response archived for ``url``."""
        row = self._db.execute("SELECT archived_at FROM urls WHERE url = ?", (url,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def payload_digest(self, url: str) -> str | None:
        """WARC-Payload-Digest of the last body archived for ``url``."""
        row = self._db.execute("SELECT payload_digest FROM urls WHERE url = ?", (url,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def commit_warc(self, name: str, committed_bytes: int) -> None:
        """Record that ``name`` holds ``committed_bytes`` of complete records."""
        with self._db:
            self._db.execute("BEGIN")
            self._commit_warc(name, committed_bytes)

    def _commit_warc(self, name: str, committed_bytes: int) -> None:
        self._db.execute(
            "INSERT INTO warc_files (name, committed_bytes) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET committed_bytes = excluded.committed_bytes",
            (name, committed_bytes),
        )

    def committed_bytes(self, name: str) -> int:
        row = self._db.execute(
            "SELECT committed_bytes FROM warc_files WHERE name = ?", (name,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, count(*) FROM urls GROUP BY status").fetchall()
        return {str(status): int(count) for status, count in rows}
