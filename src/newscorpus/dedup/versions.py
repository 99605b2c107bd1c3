"""Versions of an article: the fetches of one URL whose text changed between them.

News is edited after publication: headlines rewritten, paragraphs added to a developing
story, corrections appended. Fetched again (crawl re-visits, or several CC-NEWS captures of
one URL), an article whose title or paragraphs changed is a new *version*, not a
duplicate; one whose only change is a short line holding a number (an "Updated 14:05"
stamp, a view or comment counter) is the same version. Boilerplate is gone before this
point (``steps.boilerplate``), so a changed footer is no version either.

Versions are followed among the fetches of one address: an AMP twin or a syndicated copy
shares the article's id (its canonical URL) but is another rendering, whose differences
are markup, not edits. Numbering continues across runs: a later run's new version
supersedes the stored latest one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from newscorpus.document import Changes, count_words

# A paragraph this short that holds a digit is a stamp or a counter ("Updated 14:05",
# "1,204 comments", "Mis à jour le 12/03 à 14h32"), not what the article says.
VOLATILE_MAX_WORDS = 8
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")


def _volatile(paragraph: str) -> bool:
    return bool(_DIGIT.search(paragraph)) and count_words(paragraph) <= VOLATILE_MAX_WORDS


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text.casefold()).strip()


def comparable_paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` that a version is made of: spacing and case aside,
    stamps and counters left out."""
    paragraphs = (_normal(p) for p in text.split("\n\n"))
    return [p for p in paragraphs if p and not _volatile(p)]


def version_text(title: str | None, text: str) -> str:
    """What two fetches must share to be one version (hashed into the dedup keys)."""
    return "\n\n".join([_normal(title or ""), *comparable_paragraphs(text)])


# Two paragraphs facing each other in an edit are one paragraph changed when this share
# of their words is common (difflib's ratio), else one removed and one added.
SAME_PARAGRAPH = 0.5
# (old paragraph, new paragraph): both for one kept or changed, one None for one removed
# or added.
Aligned = tuple[str | None, str | None]


def _words_ratio(old: str, new: str) -> float:
    return SequenceMatcher(a=old.split(), b=new.split(), autojunk=False).ratio()


def align_paragraphs(old: list[str], new: list[str]) -> list[Aligned]:
    """The paragraphs of two versions in order, each old one facing the new one it
    became (itself, or changed), or nothing when it was removed or added. Equal
    paragraphs are matched first, so that an added paragraph does not make every later
    one look changed; inside an edited stretch, an old paragraph faces the next new one
    sharing ``SAME_PARAGRAPH`` of its words."""
    aligned: list[Aligned] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        olds, news = old[old_start:old_end], new[new_start:new_end]
        if tag == "equal":
            aligned += [(p, p) for p in news]
            continue
        position = 0
        for paragraph in olds:
            match = next(
                (
                    n
                    for n in range(position, len(news))
                    if _words_ratio(paragraph, news[n]) >= SAME_PARAGRAPH
                ),
                None,
            )
            if match is None:
                aligned.append((paragraph, None))
                continue
            aligned += [(None, p) for p in news[position:match]]
            aligned.append((paragraph, news[match]))
            position = match + 1
        aligned += [(None, p) for p in news[position:]]
    return aligned


def changes_between(
    old_title: str | None, old_text: str, new_title: str | None, new_text: str
) -> Changes:
    """Paragraphs added, removed and changed from one version to the next, on their
    comparable paragraphs (``align_paragraphs``)."""
    old, new = comparable_paragraphs(old_text), comparable_paragraphs(new_text)
    changes = Changes(title_changed=_normal(old_title or "") != _normal(new_title or ""))
    for before, after in align_paragraphs(old, new):
        if before is None:
            changes.paragraphs_added += 1
        elif after is None:
            changes.paragraphs_removed += 1
        elif before != after:
            changes.paragraphs_changed += 1
    return changes


@dataclass(slots=True)
class Capture:
    """One fetch of an article as the versions see it (a row of the dedup keys)."""

    row: int
    id: str
    stored: bool  # the latest version stored by an earlier run
    fetch_key: int  # the address fetched
    version_key: int  # hash of ``version_text``
    crawled_at: str  # "" when the record gave no date (it sorts first)
    version: int = 1  # of a stored one
    first_seen: str | None = None  # of a stored one
    at_canonical: bool = True
    duplicate_count: int = 1  # of a stored one: the copies of its story found


@dataclass(slots=True)
class VersionChain:
    """The versions of one article, oldest first: the first may be the stored latest
    version of an earlier run; each other one is a new fetch whose text differs from the
    version before it. ``duplicates`` are the article's other new fetches: a fetch with
    the text of the version before it, one older than the stored version, one at another
    address (a twin). (Text that comes back after a change is a new version: A, B, A is
    three.)"""

    versions: list[Capture]
    duplicates: list[Capture] = field(default_factory=list)

    @property
    def latest(self) -> Capture:
        return self.versions[-1]

    @property
    def first_seen(self) -> str | None:
        first = self.versions[0]
        return (first.first_seen if first.stored else None) or first.crawled_at or None

    def numbered(self) -> list[tuple[int, Capture]]:
        """(version number, capture) for each version of the chain."""
        start = self.versions[0].version
        return [(start + n, capture) for n, capture in enumerate(self.versions)]


def _chain(captures: list[Capture]) -> VersionChain | None:
    """The versions among fetches of one address, or None when they add none."""
    stored = [c for c in captures if c.stored]
    fresh = sorted((c for c in captures if not c.stored), key=lambda c: (c.crawled_at, c.row))
    stale: list[Capture] = []
    if stored:
        start = max(stored, key=lambda c: c.crawled_at)
        # a fetch no newer than the stored latest version comes too late to be one: a
        # duplicate, as before versions existed
        stale = [c for c in fresh if c.crawled_at <= start.crawled_at]
        fresh = [c for c in fresh if c.crawled_at > start.crawled_at]
    elif fresh:
        start, fresh = fresh[0], fresh[1:]
    else:
        return None
    chain = VersionChain([start], duplicates=stale)
    for capture in fresh:
        if capture.version_key != chain.latest.version_key:
            chain.versions.append(capture)
        else:
            chain.duplicates.append(capture)
    return chain if len(chain.versions) > 1 else None


def version_chain(captures: list[Capture]) -> VersionChain | None:
    """The versions among the fetches of one article (one id), if its text changed.

    They are followed at one address: the stored version's, else the canonical URL
    when it was fetched, else the address fetched most often; fetches at other addresses
    (twins) are the chain's duplicates."""
    by_address: dict[int, list[Capture]] = {}
    for capture in captures:
        by_address.setdefault(capture.fetch_key, []).append(capture)
    stored = [c for c in captures if c.stored]
    if stored:
        address = stored[0].fetch_key
    else:
        address = max(
            by_address,
            key=lambda a: (
                any(c.at_canonical for c in by_address[a]),
                len(by_address[a]),
                -min(c.row for c in by_address[a]),
            ),
        )
    chain = _chain(by_address[address])
    if chain is not None:
        chain.duplicates += [c for c in captures if c.fetch_key != address and not c.stored]
    return chain
