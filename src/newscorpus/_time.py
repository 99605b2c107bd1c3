"""Timestamps as the WARC files and the corpus write them (no heavy imports: the crawl
and the command line read them too)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_moment(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (one without an offset taken as UTC),
    or None if it is not one."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
