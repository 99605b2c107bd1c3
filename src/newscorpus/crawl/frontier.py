"""A crawl frontier shared by crawl workers on one or many machines, kept in Redis.

The scrapy-redis model (one request queue, one seen-URL set in Redis), plus what a
polite, crash-proof crawl needs:

- **in flight**: a request taken from the queue is moved, in the same Lua script, to the
  in-flight table under the worker's name; it leaves it when its page is archived and its
  links queued (or it failed). Workers announce themselves every few seconds; the
  requests of a worker that stopped announcing itself (killed, machine lost) go back to
  the queue, taken up by the others.
- **politeness across workers**: a host's turn (``crawl/politeness.py``) is held in
  Redis: one request at a time to a host from all workers together, the next one
  ``delay`` seconds (or the host's robots.txt Crawl-delay) after the previous one ended.
- **robots.txt once**: the first worker to need a host's robots.txt fetches it and shares
  it; the others wait for it instead of fetching it again.
- **the crawl's memory**, as ``crawl-state.sqlite`` keeps it for a lone crawl: per URL
  its status and validators (an archived article is never fetched again; hubs are fetched
  again by the next crawl), per WARC file its committed length.

A crawl (a *session*) ends when the queue is empty and nothing is in flight; the next
worker to start then begins a new one (hubs fetched again, with conditional requests).
Redis time is the clock of every decision, so workers' clocks need not agree.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

from newscorpus.crawl.politeness import poll_wait
from newscorpus.crawl.revisits import NO_REVISITS, Schedule, next_visit
from newscorpus.crawl.state import ARTICLE_KINDS, NO_VALIDATORS, Validators
from newscorpus.errors import UserError

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0  # a worker announces itself (and looks for work) this often ...
WORKER_TTL_SECONDS = 30.0  # ... and is taken for dead after this long without a word
MIN_WORKER_TTL_SECONDS = 10.0  # well above a heartbeat plus a Redis call that times out
REDIS_TIMEOUT_SECONDS = 5.0  # a Redis call never blocks a worker long enough to seem dead
MAX_RETURNS = 2  # times a request lost in flight at a live worker is queued again
ROBOTS_WAIT_SECONDS = 60.0  # longest wait for another worker's robots.txt fetch
_KEY_NAMES = (
    "queue", "seq", "inflight", "workers", "seen", "session", "urls", "warc", "delays", "robots",
    "pages", "revisits",
)  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Requests wait in a sorted set: higher priority first, then first come first served.
_PUSH = """
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], (1000 - tonumber(ARGV[1])) * 1e12 + seq, ARGV[2])
"""
# Take the next request and record it as in flight, in one step.
_POP = """
local taken = redis.call('ZPOPMIN', KEYS[1])
if #taken == 0 then return false end
local url = cjson.decode(taken[1])['url']
redis.call('HSET', KEYS[2], url, cjson.encode({worker=ARGV[1], request=taken[1], score=taken[2]}))
return taken[1]
"""
# Announce a worker (alive until now + TTL); start a new crawl when the last one is over:
# hubs and robots.txt are fetched again.
_JOIN = """
local now = redis.call('TIME')
local seconds = tonumber(now[1]) + tonumber(now[2]) / 1e6
local live = redis.call('ZCOUNT', KEYS[3], seconds, '+inf')
local over = redis.call('ZCARD', KEYS[1]) == 0 and redis.call('HLEN', KEYS[2]) == 0
local started = 0
if over and live == 0 then
    -- seen URLs, robots.txt, Crawl-delays, pages per host
    redis.call('DEL', KEYS[4], KEYS[6], KEYS[7], KEYS[8])
    redis.call('INCR', KEYS[5])
    started = 1
end
redis.call('ZADD', KEYS[3], seconds + tonumber(ARGV[2]), ARGV[1])
return started
"""
# Finish requests in flight, only those of this worker.
_DONE = """
for i = 2, #ARGV do
    local value = redis.call('HGET', KEYS[1], ARGV[i])
    if value and cjson.decode(value)['worker'] == ARGV[1] then
        redis.call('HDEL', KEYS[1], ARGV[i])
    end
end
"""
_HEARTBEAT = """
local now = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(now[1]) + tonumber(now[2]) / 1e6 + tonumber(ARGV[2]), ARGV[1])
"""
# Requests in flight at workers that are gone go back to the queue.
_REAP = """
local now = redis.call('TIME')
local seconds = tonumber(now[1]) + tonumber(now[2]) / 1e6
local entries = redis.call('HGETALL', KEYS[1])
local returned = 0
for i = 1, #entries, 2 do
    local entry = cjson.decode(entries[i + 1])
    local until_ = redis.call('ZSCORE', KEYS[2], entry['worker'])
    if (not until_) or tonumber(until_) < seconds or entry['worker'] == ARGV[1] then
        redis.call('ZADD', KEYS[3], entry['score'], entry['request'])
        redis.call('HDEL', KEYS[1], entries[i])
        returned = returned + 1
    end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', seconds)
return returned
"""
# A host's turn (see crawl/politeness.py): taken when the host is free now, for one
# holder, until it ends or its lease runs out; returns {wait, delay}. A holder whose
# worker is gone (killed mid-request) does not keep the host for the whole lease: its
# request ended when the worker stopped, before the end of its announced time, so the
# host is free `delay` after that (after now, when the worker's time is no longer known).
_TAKE_TURN = """
local now = redis.call('TIME')
local seconds = tonumber(now[1]) + tonumber(now[2]) / 1e6
local delay = math.max(tonumber(ARGV[3]), tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0'))
if delay <= 0 then return {'0', '0'} end
local free = tonumber(redis.call('HGET', KEYS[1], 'free') or '0')
local worker = redis.call('HGET', KEYS[1], 'worker')
if seconds < free and worker and worker ~= '' then
    local until_ = redis.call('ZSCORE', KEYS[3], worker)
    if (not until_) or tonumber(until_) < seconds then
        local ended = until_ and tonumber(until_) or seconds
        free = math.min(free, ended + delay)
        redis.call('HSET', KEYS[1], 'free', string.format('%.6f', free), 'holder', '', 'worker', '')
    end
end
if seconds >= free then
    local lease = tonumber(ARGV[4])
    redis.call('HSET', KEYS[1], 'free', string.format('%.6f', seconds + lease), 'holder', ARGV[2],
               'worker', ARGV[5])
    redis.call('EXPIRE', KEYS[1], math.ceil(lease) + 3600)
    return {'0', string.format('%.6f', delay)}
end
return {string.format('%.6f', free - seconds), string.format('%.6f', delay)}
"""
# The holder's request ended: the host is free `delay` seconds from now.
_END_TURN = """
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[2] then return 0 end
local now = redis.call('TIME')
local seconds = tonumber(now[1]) + tonumber(now[2]) / 1e6
local delay = math.max(tonumber(ARGV[3]), tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0'))
redis.call('HSET', KEYS[1], 'free', string.format('%.6f', seconds + delay), 'holder', '',
           'worker', '')
redis.call('EXPIRE', KEYS[1], math.ceil(delay) + 3600)
return 1
"""


# Seconds a worker holds a due re-visit it took: after them, another worker may take it.
REVISIT_LEASE = 600.0


def _utc(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


class FrontierUnreachable(ConnectionError):
    """Redis did not answer (or failed) a frontier call."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _unreachable(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Redis errors of a frontier call become ``FrontierUnreachable``."""

    @functools.wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        from redis import RedisError

        try:
            return method(*args, **kwargs)
        except RedisError as exc:
            raise FrontierUnreachable(str(exc)) from exc

    return call


@dataclass(slots=True)
class FrontierAddress:
    """``redis://[:PASSWORD@]HOST:PORT/DB`` (or ``rediss://`` for TLS)."""

    url: str

    @classmethod
    def parse(cls, url: str) -> FrontierAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise UserError(f"frontier {url!r}: expected redis://HOST:PORT/DB")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise UserError(f"frontier {url!r}: bad port") from None
        database = unquote(parts.path.lstrip("/")) or "0"
        if not database.isdigit():
            raise UserError(f"frontier {url!r}: the database must be a number, as in /0")
        return cls(url)

    def shown(self) -> str:
        """The address without its password, for messages."""
        parts = urlsplit(self.url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        return f"{parts.scheme}://{netloc}{parts.path}"


class RedisFrontier:
    """The shared queue, in-flight table, seen set and crawl memory of one crawl name.

    Also the crawl state of each worker (the methods of ``CrawlState``), so the spider
    and the WARC middleware work the same alone or in a team.
    """

    def __init__(
        self,
        address: FrontierAddress,
        crawl: str,
        worker: str,
        worker_ttl: float = WORKER_TTL_SECONDS,
    ) -> None:
        try:
            import redis
        except ImportError as exc:
            message = "a Redis frontier needs redis: pip install 'newscorpus[redis]'"
            raise UserError(message) from exc
        if not _NAME.match(crawl) or not _NAME.match(worker):
            raise UserError(
                f"crawl name {crawl!r} and worker id {worker!r} may hold only letters, "
                "digits, '.', '_' and '-' (at most 64)"
            )
        if not worker_ttl >= MIN_WORKER_TTL_SECONDS:
            raise UserError(f"worker TTL {worker_ttl} s: at least {MIN_WORKER_TTL_SECONDS:g} s")
        self.address = address
        self.crawl = crawl
        self.worker = worker
        # taken for dead after this long without a heartbeat; a worker stops when it
        # cannot reach Redis this long
        self.worker_ttl = worker_ttl
        # this run of the worker: a worker restarted under the same id is another owner,
        # so what the dead run had in flight is returned, not taken for its own
        self.owner = f"{worker}#{secrets.token_hex(4)}"
        self._redis = redis.Redis.from_url(
            address.url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            decode_responses=True,
        )
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise UserError(f"cannot reach the frontier at {address.shown()}: {exc}") from None
        prefix = f"newscorpus:{crawl}:"
        self._keys = {name: prefix + name for name in _KEY_NAMES}
        self._prefix = prefix
        self._push = self._redis.register_script(_PUSH)
        self._pop = self._redis.register_script(_POP)
        self._join = self._redis.register_script(_JOIN)
        self._heartbeat = self._redis.register_script(_HEARTBEAT)
        self._reap = self._redis.register_script(_REAP)
        self._done = self._redis.register_script(_DONE)
        self._take_turn = self._redis.register_script(_TAKE_TURN)
        self._end_turn = self._redis.register_script(_END_TURN)
        self.new_crawl = False

    def key(self, name: str) -> str:
        return self._keys[name]

    # -- workers -------------------------------------------------------------------------

    @_unreachable
    def join(self) -> bool:
        """Announce this worker; True when it starts a new crawl (the last one was over)."""
        names = ("queue", "inflight", "workers", "seen", "session", "robots", "delays", "pages")
        keys = [self.key(name) for name in names]
        self.new_crawl = bool(self._join(keys=keys, args=[self.owner, self.worker_ttl]))
        return self.new_crawl

    @_unreachable
    def heartbeat(self) -> None:
        self._heartbeat(keys=[self.key("workers")], args=[self.owner, self.worker_ttl])

    @_unreachable
    def return_lost(self, *, own: bool = False) -> int:
        """Requests in flight at dead workers (and with ``own``, at this one) back to the
        queue; returns how many."""
        keys = [self.key("inflight"), self.key("workers"), self.key("queue")]
        return int(self._reap(keys=keys, args=[self.owner if own else ""]))

    @_unreachable
    def leave(self) -> None:
        """This worker stops: what it still has in flight goes back to the queue."""
        self.return_lost(own=True)
        self._redis.zrem(self.key("workers"), self.owner)

    @_unreachable
    def live_workers(self) -> list[str]:
        now = self._now()
        owners = self._redis.zrangebyscore(self.key("workers"), now, "+inf")
        return [str(owner).rsplit("#", 1)[0] for owner in owners]

    def _now(self) -> float:
        seconds, micros = self._redis.time()
        return float(seconds) + float(micros) / 1e6

    # -- queue ---------------------------------------------------------------------------

    @_unreachable
    def push(self, request: dict[str, Any], priority: int) -> None:
        self._push(
            keys=[self.key("queue"), self.key("seq")],
            args=[priority, json.dumps(request, sort_keys=True)],
        )

    @_unreachable
    def pop(self) -> dict[str, Any] | None:
        """The next request, now in flight at this worker."""
        taken = self._pop(keys=[self.key("queue"), self.key("inflight")], args=[self.owner])
        return None if taken is None else dict(json.loads(taken))

    @_unreachable
    def done_with(self, urls: Sequence[str]) -> None:
        """This worker's requests for ``urls`` are finished (archived and their links
        queued, or failed, or given another form such as a redirect). Another worker's
        entry for the same URL (it took the request back from a worker taken for dead)
        is left alone."""
        if urls:
            self._done(keys=[self.key("inflight")], args=[self.owner, *urls])

    @_unreachable
    def release_own(self) -> int:
        """Requests recorded in flight at this worker while it has nothing in progress
        (lost between scrapy's hands) go back to the queue, twice at most; returns how
        many."""
        returned = 0
        for url, value in self._redis.hgetall(self.key("inflight")).items():
            entry = json.loads(value)
            if entry["worker"] != self.owner:
                continue
            request = json.loads(entry["request"])
            meta = request.setdefault("meta", {})
            meta["newscorpus_returned"] = meta.get("newscorpus_returned", 0) + 1
            with self._redis.pipeline(transaction=True) as pipe:
                if meta["newscorpus_returned"] <= MAX_RETURNS:
                    pipe.zadd(
                        self.key("queue"), {json.dumps(request, sort_keys=True): entry["score"]}
                    )
                    returned += 1
                else:
                    logger.warning("%s was lost in flight %d times; dropped", url, MAX_RETURNS)
                pipe.hdel(self.key("inflight"), url)
                pipe.execute()
        return returned

    @_unreachable
    def queue_length(self) -> int:
        return int(self._redis.zcard(self.key("queue")))

    @_unreachable
    def in_flight(self) -> int:
        return int(self._redis.hlen(self.key("inflight")))

    # -- politeness ----------------------------------------------------------------------

    # (politeness.HostTurns, shared by every worker of the crawl)

    @_unreachable
    def take_turn(self, host: str, token: str, delay: float, lease: float) -> float:
        keys = [f"{self._prefix}turn:{host}", self.key("delays"), self.key("workers")]
        wait, delay = self._take_turn(keys=keys, args=[host, token, delay, lease, self.owner])
        return 0.0 if float(wait) <= 0 else poll_wait(float(wait), float(delay))

    @_unreachable
    def end_turn(self, host: str, token: str, delay: float) -> None:
        keys = [f"{self._prefix}turn:{host}", self.key("delays")]
        self._end_turn(keys=keys, args=[host, token, delay])

    @_unreachable
    def set_crawl_delay(self, host: str, delay: float) -> None:
        self._redis.hset(self.key("delays"), host, delay)

    @_unreachable
    def shared_robots(self, netloc: str) -> tuple[int | None, bytes] | None:
        """A robots.txt another worker fetched: (status, body); status None if the fetch
        failed. None when nobody has it yet."""
        value = self._redis.hget(self.key("robots"), netloc)
        if value is None:
            return None
        data = json.loads(value)
        return data["status"], str(data["body"]).encode("latin-1")

    @_unreachable
    def claim_robots(self, netloc: str) -> bool:
        """True for the one worker that is to fetch ``netloc``'s robots.txt (the claim
        lapses if that worker dies before sharing it)."""
        key = f"{self._prefix}robots-fetch:{netloc}"
        return bool(self._redis.set(key, self.owner, nx=True, ex=int(ROBOTS_WAIT_SECONDS)))

    @_unreachable
    def share_robots(self, netloc: str, status: int | None, body: bytes) -> None:
        value = json.dumps({"status": status, "body": body.decode("latin-1")})
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key("robots"), netloc, value)
            pipe.delete(f"{self._prefix}robots-fetch:{netloc}")
            pipe.execute()

    # -- the crawl state (CrawlState's interface) -----------------------------------------

    @_unreachable
    def claim(self, url: str, kind: str, depth: int, refetch: bool) -> str | None:
        """Whether this worker should fetch ``url``: None if so, else why not. Exactly one
        worker of a crawl gets None for a URL."""
        entry = self._entry(url) or {}
        if entry.get("status") == "done" and (not refetch or entry.get("kind") in ARTICLE_KINDS):
            return "archived" if refetch else "archived_before"
        if not self._redis.sadd(self.key("seen"), url):
            return "taken"  # by this or another worker, in this crawl
        return None

    @_unreachable
    def pages(self, host: str) -> int:
        """Pages requested from ``host`` in this crawl, by all workers."""
        return int(self._redis.hget(self.key("pages"), host) or 0)

    @_unreachable
    def add_page(self, host: str) -> None:
        self._redis.hincrby(self.key("pages"), host, 1)

    @_unreachable
    def status(self, url: str) -> str | None:
        entry = self._entry(url)
        return None if entry is None else str(entry["status"])

    def _entry(self, url: str) -> dict[str, Any] | None:
        value = self._redis.hget(self.key("urls"), url)
        return None if value is None else dict(json.loads(value))

    @_unreachable
    def validators(self, url: str) -> Validators:
        entry = self._entry(url) or {}
        return entry.get("etag"), entry.get("last_modified")

    @_unreachable
    def queued(self, max_attempts: int = 3) -> Iterator[Any]:
        return iter(())  # the queue itself lives in Redis: nothing to hand the spider

    @_unreachable
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
        """Mark ``urls`` done or failed; with ``warc``, that file's new committed length
        is saved in the same transaction, and with ``revisits`` the first re-visit of the
        last URL (the archived article) scheduled."""
        etag, last_modified = validators
        now = time.time()
        with self._redis.pipeline(transaction=True) as pipe:
            for url in urls:
                old = self._entry(url) or {}
                attempts = int(old.get("attempts", 0)) + (status == "failed")
                entry = {
                    **old,
                    "status": status,
                    "kind": kind,
                    "attempts": attempts,
                    "etag": etag or old.get("etag"),
                    "last_modified": last_modified or old.get("last_modified"),
                    "updated": _utc(now),
                }
                if warc is not None and url == urls[-1]:
                    entry["first_archived"] = old.get("first_archived") or now
                    entry["archived_at"] = _utc(now)
                    entry["payload_digest"] = digest
                    self._schedule(pipe, url, entry, next_visit(now, 0, revisits))
                pipe.hset(self.key("urls"), url, json.dumps(entry))
            if warc is not None:
                pipe.hset(self.key("warc"), warc[0], warc[1])
            pipe.execute()

    def _schedule(self, pipe: Any, url: str, entry: dict[str, Any], due: float | None) -> None:
        entry["next_visit"] = due
        if due is None:
            pipe.zrem(self.key("revisits"), url)
        else:
            pipe.zadd(self.key("revisits"), {url: due})

    @_unreachable
    def due_revisits(self, now: float, limit: int = 100_000) -> list[str]:
        """Archived articles whose next re-visit is due, taken by this worker: each goes
        to one worker, and comes due again after ``REVISIT_LEASE`` seconds unless that
        worker says it was made (a worker killed on the way loses none)."""
        due = self._redis.zrangebyscore(self.key("revisits"), "-inf", now, start=0, num=limit)
        taken = []
        for value in due:
            url = value.decode() if isinstance(value, bytes) else str(value)
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self.key("revisits"), url)  # 1 for one worker only: the taker
                pipe.zadd(self.key("revisits"), {url: now + REVISIT_LEASE})  # due again later
                removed, _ = pipe.execute()
            if removed:
                taken.append(url)
        return taken

    @_unreachable
    def revisited(
        self,
        url: str,
        revisits: Schedule,
        validators: Validators = NO_VALIDATORS,
        warc: tuple[str, int] | None = None,
        changed: bool = False,
        digest: str | None = None,
    ) -> None:
        """One re-visit of ``url`` made, the next one scheduled (see ``CrawlState``)."""
        etag, last_modified = validators
        now = time.time()
        old = self._entry(url) or {}
        first = old.get("first_archived") or now
        visits = int(old.get("visits", 0)) + 1
        entry = {
            **old,
            "visits": visits,
            "etag": etag or old.get("etag"),
            "last_modified": last_modified or old.get("last_modified"),
            "updated": _utc(now),
        }
        if changed:
            entry["archived_at"] = _utc(now)
        if digest:
            entry["payload_digest"] = digest
        with self._redis.pipeline(transaction=True) as pipe:
            self._schedule(pipe, url, entry, next_visit(first, visits, revisits))
            pipe.hset(self.key("urls"), url, json.dumps(entry))
            if warc is not None:
                pipe.hset(self.key("warc"), warc[0], warc[1])
            pipe.execute()

    @_unreachable
    def archived_at(self, url: str) -> str | None:
        value = (self._entry(url) or {}).get("archived_at")
        return None if value is None else str(value)

    @_unreachable
    def payload_digest(self, url: str) -> str | None:
        value = (self._entry(url) or {}).get("payload_digest")
        return None if value is None else str(value)

    @_unreachable
    def commit_warc(self, name: str, committed_bytes: int) -> None:
        self._redis.hset(self.key("warc"), name, committed_bytes)

    @_unreachable
    def committed_bytes(self, name: str) -> int:
        value = self._redis.hget(self.key("warc"), name)
        return 0 if value is None else int(value)

    @_unreachable
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, value in self._redis.hscan_iter(self.key("urls"), count=1000):
            status = str(json.loads(value)["status"])
            counts[status] = counts.get(status, 0) + 1
        counts["queued"] = self.queue_length()
        counts["in_flight"] = self.in_flight()
        return counts

    @_unreachable
    def close(self) -> None:
        self._redis.close()
