"""Site boilerplate: lines a site repeats across its article bodies, learned from the corpus.

The way CCNet and trafilatura's cache do it, by line frequency, but per site and kept with
the corpus. ``CountLines`` (first per-shard stage) records in how many documents of each
domain every normalised line occurs, and every short "Label: headline" line's label. The
driver merges those counts into ``store.boilerplate_index`` (SQLite in ``CORPUS/.state``),
so they accumulate across runs. ``RemoveBoilerplate`` (second stage) removes the lines seen
in at least ``min_docs`` documents of their site, plus lines matched by the multilingual
fallback rules, and records what it removed so a user can audit it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

import pyarrow as pa

from newscorpus.document import Document, count_words
from newscorpus.steps.base import DropSink, Step
from newscorpus.urls import host_name
from newscorpus.webpage.boilerplate_rules import (
    BIO_LINES,
    fallback_rule,
    heads_related_links,
    is_author_bio,
    is_list_item,
)

# One row per document: its domain, its id, the keys of its distinct lines and labels.
# Per document, not summed per shard, so that the index counts each document once
# however many shards or runs fetch it again.
DOCUMENT_LINES_SCHEMA = pa.schema(
    [
        pa.field("domain", pa.string(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("keys", pa.list_(pa.int64()), nullable=False),
    ]
)

# Learned removal is for lines of boilerplate length: a long paragraph repeated on a site
# is a story's background, kept (near-duplicate detection deals with whole copies).
MAX_LEARNED_WORDS = 60
# "Voir aussi : <headline>": the label is short, the headline too.
MAX_LABEL_WORDS = 5
MAX_LABELLED_TAIL_WORDS = 15
MAX_LABELLED_CHARS = 300
# A label used more often than this within one article is structure (an interview's
# "Q:" lines), not a site prompt.
MAX_LABEL_USES_PER_DOCUMENT = 2
AUDIT_LINE_CHARS = 200

_NOT_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_LABELLED = re.compile(r"^[\W_]*([^:：|»›]{1,60}?)\s*[:：|»›]\s*(\S.*)$", re.DOTALL)


def _key(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits SQLite's INTEGER


def _normalise(line: str) -> str:
    """Case, digits ("© 2024" and "© 2025"), punctuation and spacing do not tell lines apart."""
    return _NOT_WORD.sub(" ", _DIGIT.sub("0", line.casefold())).strip()


def line_key(line: str) -> int:
    """The key a line is counted under."""
    return _key(_normalise(line))


def label_key(line: str) -> int | None:
    """The key of the label of a short "Label: headline" line, or None for other lines."""
    if len(line) > MAX_LABELLED_CHARS:
        return None
    match = _LABELLED.match(line)
    if match is None:
        return None
    raw_label, tail = match.group(1).strip(), match.group(2)
    label = _normalise(raw_label)
    if not label or count_words(label) > MAX_LABEL_WORDS:
        return None
    if " " not in raw_label and raw_label.isupper():  # a dateline: "ISLAMABAD: ..."
        return None
    if count_words(tail) > MAX_LABELLED_TAIL_WORDS:
        return None
    return _key("\x00label " + label)


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p]


class CountLines(Step[Document, Document]):
    """Passes documents through, counting their distinct lines and labels per domain."""

    name = "lines"

    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[str, tuple[str, list[int]]] = {}  # id -> (domain, keys)

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            if doc.id not in self.documents:  # a page fetched twice counts once
                self.documents[doc.id] = (doc.domain, sorted(_document_keys(doc.text)))
            yield doc

    def rows(self) -> Iterator[dict[str, object]]:
        """The shard's line counts, one row a document (``DOCUMENT_LINES_SCHEMA``), for
        the stage to store and the driver to merge into the corpus's index."""
        for doc_id, (domain, keys) in sorted(self.documents.items()):
            yield {"domain": domain, "id": doc_id, "keys": keys}


def _document_keys(text: str) -> set[int]:
    lines = paragraphs(text)
    keys = {line_key(line) for line in lines}
    # The first paragraph is the lead, whose "PLACE: ..." or "Label: ..." is the story's.
    labels = Counter(k for k in map(label_key, lines[1:]) if k is not None)
    keys.update(k for k, uses in labels.items() if uses <= MAX_LABEL_USES_PER_DOCUMENT)
    return keys


class RemoveBoilerplate(Step[Document, Document]):
    """Removes learned and rule-matched boilerplate lines; records each removal for audit."""

    name = "boilerplate"

    def __init__(
        self,
        learned: Callable[[str], frozenset[int]],
        fallback_rules: bool = True,
        *,
        on_drop: DropSink | None = None,
    ) -> None:
        super().__init__(on_drop=on_drop)
        self.learned = learned
        self.fallback_rules = fallback_rules
        # (domain, rule, line) -> times removed
        self.removed: Counter[tuple[str, str, str]] = Counter()

    def run(
        self, docs: Iterable[Document], rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        for doc in docs:
            learned = self.learned(doc.domain)
            lines, kept = paragraphs(doc.text), []
            related = False  # inside the list of links under a "Related stories" heading
            for number, line in enumerate(lines):
                related = related and is_list_item(line)
                rule = "related_links" if related else self._rule(line, learned, number == 0)
                near_end = number >= len(lines) - BIO_LINES and number > 0
                if rule is None and near_end and self.fallback_rules:
                    outlets = [doc.sitename or "", host_name(doc.url) or ""]
                    rule = "author_bio" if is_author_bio(line, doc.authors, outlets) else None
                if rule is None:
                    kept.append(line)
                    continue
                if rule == "see_also" and self.fallback_rules:
                    related = heads_related_links(line)
                self.count(f"removed_lines.{rule}")
                self.removed[(doc.domain, rule, line[:AUDIT_LINE_CHARS])] += 1
            if not kept:
                self.drop("only_boilerplate", doc)
                continue
            if len(kept) < len(lines):
                doc.text = "\n\n".join(kept)
                doc.word_count = count_words(doc.text)
            yield doc

    def _rule(self, line: str, learned: frozenset[int], lead: bool = False) -> str | None:
        if learned and count_words(line) <= MAX_LEARNED_WORDS:
            if line_key(line) in learned:
                return "learned_line"
            label = None if lead else label_key(line)
            if label is not None and label in learned:
                return "learned_label"
        if self.fallback_rules:
            return fallback_rule(line)
        return None
