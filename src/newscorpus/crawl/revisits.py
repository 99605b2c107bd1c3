"""When an archived article is fetched again, to see whether it changed.

A schedule is a list of delays after the article was first archived (by default 1 hour,
6 hours, 1 day and 3 days: most edits come in the first hours). A crawl run fetches the
articles whose next visit is due, with conditional headers (ETag, Last-Modified): an
unchanged page costs a 304 and a WARC revisit record, a changed one a new response
record. The visit after the last delay is the last one. The schedule is written
``1h,6h,24h,72h`` (``s``, ``m``, ``h``, ``d``; a bare number is seconds), or ``off``.
"""

from __future__ import annotations

import itertools
import re

from newscorpus.errors import UserError

Schedule = tuple[float, ...]  # seconds after the first archive, increasing

DEFAULT_SCHEDULE: Schedule = (3600.0, 6 * 3600.0, 24 * 3600.0, 72 * 3600.0)
NO_REVISITS: Schedule = ()
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
MAX_VISITS = 50


def parse_schedule(value: str | list[str] | bool | None) -> Schedule:
    """A schedule as written in an option or a sources file (``"1h,6h"``, a list of
    delays, ``"off"`` or ``false``); a mistake is one line naming it."""
    if value is None or value is True:
        return DEFAULT_SCHEDULE
    if value is False:
        return NO_REVISITS
    parts = value if isinstance(value, list) else str(value).split(",")
    if len(parts) == 1 and str(parts[0]).strip().lower() in ("off", "no", "none", "0", ""):
        return NO_REVISITS
    delays = []
    for part in parts:
        match = _DELAY.match(str(part))
        if match is None:
            raise UserError(
                f"revisit schedule {value!r}: {part!r} is not a delay (like 90s, 15m, 6h, 3d)"
            )
        delays.append(float(match[1]) * _UNITS[(match[2] or "s").lower()])
    if any(b <= a for a, b in itertools.pairwise(delays)) or delays[0] <= 0:
        raise UserError(f"revisit schedule {value!r}: delays must be > 0 and increasing")
    if len(delays) > MAX_VISITS:
        raise UserError(f"revisit schedule {value!r}: at most {MAX_VISITS} visits")
    return tuple(delays)


def next_visit(first_archived: float, visits_done: int, schedule: Schedule) -> float | None:
    """When the next visit is due (epoch seconds), or None after the last one."""
    if visits_done >= len(schedule):
        return None
    return first_archived + schedule[visits_done]


def describe(schedule: Schedule) -> str:
    """A schedule as it is written (``1h,6h,24h,72h``; ``off``)."""
    if not schedule:
        return "off"
    shown = []
    for delay in schedule:
        for unit, seconds in (("d", 86400), ("h", 3600), ("m", 60)):
            hours_read_better = unit == "d" and delay <= 72 * 3600  # "24h", "72h"
            if delay >= seconds and delay % seconds == 0 and not hours_read_better:
                shown.append(f"{delay / seconds:g}{unit}")
                break
        else:
            shown.append(f"{delay:g}s")
    return ",".join(shown)
