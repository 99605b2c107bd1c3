"""Export a corpus as plain text (one file per document) or JSON Lines.

Text files are named ``NNN_<id>.txt`` (NNN the shard number) and hold the title, a
blank line, then the paragraphs separated by blank lines.
"""

from __future__ import annotations

import json
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from newscorpus._files import open_atomic
from newscorpus.store.parquet import iter_documents

FORMATS = ("txt", "jsonl")


def document_text(row: dict[str, Any]) -> str:
    """The plain-text form of a document: title, blank line, body."""
    title = (row.get("title") or "").strip()
    body = row["text"].strip()
    return f"{title}\n\n{body}\n" if title else f"{body}\n"


def export(corpus: Path, out: Path, fmt: str, language: str | None = None) -> int:
    """Write the documents of ``corpus`` to ``out``; returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    if fmt == "txt":
        for shard, row in iter_documents(corpus, language, columns=["id", "title", "text"]):
            with open_atomic(out / f"{shard:03d}_{row['id']}.txt", durable=False) as handle:
                handle.write(document_text(row))
            written += 1
        return written
    for shard, rows in groupby(iter_documents(corpus, language), key=itemgetter(0)):
        with open_atomic(out / f"{shard:03d}.jsonl", durable=False) as handle:
            for _, row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
    return written
