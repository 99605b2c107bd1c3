"""The versions of one article, and a word-level diff between consecutive ones
(``newscorpus history``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from newscorpus.corpus import DATA_DIR, VERSIONS_DIR
from newscorpus.dedup.versions import align_paragraphs
from newscorpus.document import document_id
from newscorpus.errors import UserError
from newscorpus.store.parquet import corpus_files, rows_with_ids
from newscorpus.urls import normalize_url

_ID = re.compile(r"[0-9a-f]{16}")
_TOKEN = re.compile(r"(\s*)([\w'’-]+(?:[:.,/]\w+)*|[^\w\s])")
COLUMNS = ["id", "url", "canonical_url", "title", "text", "version", "crawled_at", "first_seen",
           "published", "modified", "changes"]  # fmt: skip

# A piece of a diff: "=" same, "-" removed, "+" added, and its words.
Piece = tuple[str, str]


@dataclass(slots=True)
class ParagraphDiff:
    """One paragraph of the later version against the earlier one: word pieces; a
    paragraph only in one of them is all removed or all added."""

    pieces: list[Piece]

    @property
    def changed(self) -> bool:
        return any(tag != "=" for tag, _ in self.pieces)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(space before, token): words (a time or number with its inner punctuation stays
    one, "09:12", "1,204"), and each other punctuation mark on its own."""
    return [(m.group(1), m.group(2)) for m in _TOKEN.finditer(text)]


def _run(tag: str, tokens: list[tuple[str, str]]) -> list[Piece]:
    """A run of tokens as pieces: its leading space outside the marked text."""
    if not tokens:
        return []
    lead, first = tokens[0]
    text = first + "".join(space + token for space, token in tokens[1:])
    return [*([("=", lead)] if lead else []), (tag, text)]


def word_diff(old: str, new: str) -> list[Piece]:
    """``new`` against ``old`` as same / removed / added runs of words; the pieces put
    together give the new text with the removed words in place."""
    before, after = _tokens(old), _tokens(new)
    pieces: list[Piece] = []
    matcher = SequenceMatcher(a=[t for _, t in before], b=[t for _, t in after], autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            pieces += _run("=", after[new_start:new_end])
            continue
        pieces += _run("-", before[old_start:old_end])
        pieces += _run("+", after[new_start:new_end])
    merged: list[Piece] = []
    for kind, text in pieces:  # neighbouring same pieces as one
        if merged and merged[-1][0] == kind == "=":
            merged[-1] = ("=", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def text_diff(old: str, new: str) -> list[ParagraphDiff]:
    """Paragraph by paragraph (``align_paragraphs``), words within those that changed."""
    before = [p for p in old.split("\n\n") if p.strip()]
    after = [p for p in new.split("\n\n") if p.strip()]
    result = []
    for old_paragraph, new_paragraph in align_paragraphs(before, after):
        if new_paragraph is None:
            result.append(ParagraphDiff([("-", old_paragraph or "")]))
        elif old_paragraph is None:
            result.append(ParagraphDiff([("+", new_paragraph)]))
        else:
            result.append(ParagraphDiff(word_diff(old_paragraph, new_paragraph)))
    return result


def _dataset(corpus: Path, folder: str) -> ds.Dataset | None:
    if not any((corpus / folder).glob("*/*.parquet")):
        return None
    return ds.dataset(corpus / folder, format="parquet")


def article_id(corpus: Path, url_or_id: str) -> str:
    """The id of the article named by its id, the URL it was fetched from or its
    canonical URL."""
    if _ID.fullmatch(url_or_id):
        return url_or_id
    try:
        canonical = normalize_url(url_or_id)
    except ValueError:
        raise UserError(f"{url_or_id!r} is neither a document id nor a URL") from None
    named = ds.field("url").isin([url_or_id, canonical]) | (ds.field("canonical_url") == canonical)
    for folder in (DATA_DIR, VERSIONS_DIR):
        dataset = _dataset(corpus, folder)
        if dataset is not None:
            found = dataset.to_table(columns=["id"], filter=named).column("id").to_pylist()
            if found:
                return str(found[0])
    return document_id(canonical)


def article_versions(corpus: Path, url_or_id: str) -> list[dict[str, Any]]:
    """Every version of one article, oldest first: from versions/ when it changed, else
    its one row in data/. Empty when the corpus does not hold it."""
    wanted = {article_id(corpus, url_or_id)}
    rows: dict[int, dict[str, Any]] = {}
    for folder in (VERSIONS_DIR, DATA_DIR):
        for path in corpus_files(corpus, folder=folder):
            for row in rows_with_ids(path, wanted, [*COLUMNS, "duplicate_of"]).to_pylist():
                if row.pop("duplicate_of") is None:  # not a copy kept by --keep-duplicates
                    rows.setdefault(row["version"], row)
    return [rows[number] for number in sorted(rows)]
