"""``CORPUS/boilerplate.json``: what boilerplate removal took out, per site, for audit.

Rebuilt after every run from the completion markers, like the manifest: per domain, the
lines removed most often, the rule that removed them, and how many times.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, TypeVar

from newscorpus._files import read_json, write_json_atomic
from newscorpus.corpus import Corpus

BOILERPLATE_REPORT = "boilerplate.json"
AUDIT_LINES_PER_SHARD = 500
LINES_PER_DOMAIN = 50

Key = TypeVar("Key", bound=tuple[str, ...] | str)


def most_common(counts: Counter[Key], n: int | None = None) -> list[tuple[Key, int]]:
    """``counts.most_common(n)`` with ties in the order of their keys: the report must
    not depend on the order documents came in (a crawl's order varies)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def boilerplate_report(corpus: Path) -> dict[str, Any]:
    removed: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for marker in Corpus(corpus).markers():
        for domain, rule, line, times in read_json(marker).get("boilerplate", []):
            removed[domain][(rule, line)] += times
    domains = {}
    for domain in sorted(removed, key=lambda d: (-sum(removed[d].values()), d)):
        by_rule: Counter[str] = Counter()
        for (rule, _), times in removed[domain].items():
            by_rule[rule] += times
        domains[domain] = {
            "removed": sum(by_rule.values()),
            "by_rule": dict(most_common(by_rule)),
            "lines": [
                {"line": line, "rule": rule, "removed": times}
                for (rule, line), times in most_common(removed[domain], LINES_PER_DOMAIN)
            ],
        }
    return {
        "about": "lines removed from article bodies as site boilerplate; "
        "learned_*: repeated across the site's documents, others: multilingual rules",
        "domains": domains,
    }


def write_boilerplate_report(corpus: Path) -> dict[str, Any]:
    report = boilerplate_report(corpus)
    write_json_atomic(corpus / BOILERPLATE_REPORT, report)
    return report
