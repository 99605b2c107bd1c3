"""``CORPUS/report.html``: one self-contained page about a corpus.

No script, no external file, no web font: charts are inline SVG, styles are inline, and
a Content-Security-Policy forbids the page any network access, so it opens anywhere
(offline, attached to an email, on the Hub) and the crawled text in it can run nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from newscorpus._files import open_atomic
from newscorpus._version import __version__
from newscorpus.report.charts import PALETTE, bar_chart, column_chart, legend
from newscorpus.report.figures import (
    EDIT_DELAYS,
    LATER,
    LENGTH_EDGES,
    CorpusFigures,
    gather_figures,
    length_label,
)
from newscorpus.store.manifest import flat_options, removed_counts

REPORT = "report.html"
TOP_DOMAINS = 25
BOILERPLATE_DOMAINS = 20
BOILERPLATE_LINES = 10
EXCERPT_CHARS = 600

_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9;overflow-wrap:anywhere}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:26px}h2{margin:36px 0 8px;font-size:20px;border-bottom:1px solid #dde;
padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}
.muted{color:#667;fill:#667}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}
figure.chart{background:#fff;border:1px solid #dde;border-radius:6px;margin:12px 0;padding:10px}
figure.chart figcaption{font-weight:600;margin-bottom:6px}
svg.chart-svg{width:100%;height:auto;display:block}
svg text{font:12px system-ui,sans-serif;fill:#1d2330}svg text.value{fill:#556}
svg line.grid{stroke:#e3e5ea}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:13px;margin-top:6px}
.swatch{display:inline-block;width:11px;height:11px;margin-right:4px;border-radius:2px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
td,th{border:1px solid #dde;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}
article.doc{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px 14px;margin:10px 0}
article.doc h4{margin:0 0 2px;font-size:16px}.meta{font-size:13px;color:#667;word-break:break-all}
.text{white-space:pre-wrap;margin-top:8px}details summary{cursor:pointer;color:#3566a8}
.warning{background:#fff4e0;border:1px solid #e9c27a;border-radius:6px;padding:6px 10px}
"""


def _figure(chart_id: str, caption: str, svg: str, note: str = "") -> str:
    note_html = f'<div class="muted">{escape(note)}</div>' if note else ""
    return (
        f'<figure class="chart" id="{escape(chart_id)}"><figcaption>{escape(caption)}'
        f"</figcaption>{svg}{note_html}</figure>"
    )


def _cards(figures: CorpusFigures) -> str:
    published = figures.manifest.get("published") or {}
    span = (
        f"{(published.get('earliest') or '?')[:10]} to {(published.get('latest') or '?')[:10]}"
        if published.get("earliest")
        else "none"
    )
    mean = figures.words / figures.documents if figures.documents else 0
    cards = [
        ("documents", f"{figures.documents:,}"),
        ("words", f"{figures.words:,}"),
        ("languages", f"{len(figures.documents_by_language)}"),
        ("sites", f"{len(figures.documents_by_domain)}"),
        ("words per document", f"{mean:,.0f}"),
        ("published", span),
    ]
    access = figures.manifest.get("access")
    if access:  # a corpus of schema 3 and later
        cards.append(("paywalled (as declared)", f"{access['paywalled']:,}"))
    pages = figures.manifest.get("pages")
    if pages:  # schema 4 and later
        cards.append(("live blogs", f"{pages['types'].get('live_blog', 0):,}"))
        cards.append(("stitched from pages", f"{pages['multi_page']:,}"))
    if figures.versions.changed_articles:
        cards.append(("changed after first fetch", f"{figures.versions.changed_articles:,}"))
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><span class="muted">{escape(k)}</span><b>{escape(v)}</b></div>'
            for k, v in cards
        )
        + "</div>"
    )


def _languages(figures: CorpusFigures) -> str:
    by_docs = figures.documents_by_language.most_common()
    words = [(language, figures.words_by_language[language]) for language, _ in by_docs]
    return (
        "<h2>Languages</h2>"
        + _figure(
            "chart-languages-documents",
            "Documents per language",
            bar_chart("languages-documents", by_docs, "documents"),
        )
        + _figure(
            "chart-languages-words",
            "Words per language",
            bar_chart("languages-words", words, "words"),
        )
    )


def _domains(figures: CorpusFigures) -> str:
    top = figures.documents_by_domain.most_common(TOP_DOMAINS)
    more = len(figures.documents_by_domain) - len(top)
    note = f"{more:,} more sites not shown; all of them are in manifest.json" if more > 0 else ""
    words = [(domain, figures.words_by_domain[domain]) for domain, _ in top]
    return (
        "<h2>Sites</h2>"
        + _figure(
            "chart-domains-documents",
            "Documents per site",
            bar_chart("domains-documents", top, "documents"),
            note,
        )
        + _figure(
            "chart-domains-words", "Words per site", bar_chart("domains-words", words, "words")
        )
    )


def _dates(figures: CorpusFigures) -> str:
    unit, periods, left_out = figures.timeline()
    notes = []
    if figures.undated:
        notes.append(f"{figures.undated:,} document(s) without a publication date")
    if left_out:
        notes.append(f"{left_out:,} document(s) with outlying dates not shown")
    note = "; ".join(notes)
    return "<h2>Publication dates</h2>" + _figure(
        "chart-published",
        f"Documents published per {unit}",
        column_chart("published", periods, "documents"),
        note,
    )


def _lengths(figures: CorpusFigures) -> str:
    last = max(figures.lengths, default=0)
    bins = [(length_label(i), figures.lengths.get(i, 0)) for i in range(last + 1)]
    return "<h2>Lengths</h2>" + _figure(
        "chart-lengths",
        "Documents by length (words; a CJK character counts as one)",
        column_chart("lengths", bins, "documents"),
        f"bins: {', '.join(length_label(i) for i in range(len(LENGTH_EDGES)))}",
    )


def _removed(figures: CorpusFigures) -> str:
    funnel = figures.funnel()
    removed = removed_counts(figures.manifest)
    steps = list(dict.fromkeys(step for step, _, _ in removed))
    color = {step: PALETTE[index % len(PALETTE)] for index, step in enumerate(steps)}
    return (
        "<h2>What the pipeline removed</h2>"
        + _figure(
            "chart-funnel",
            "Documents left after each stage",
            bar_chart("funnel", funnel, "documents"),
        )
        + _figure(
            "chart-removed",
            "Removed, by step and reason",
            bar_chart(
                "removed",
                [(f"{step}: {reason.replace('_', ' ')}", count) for step, reason, count in removed],
                "removed",
                colors=[color[step] for step, _, _ in removed],
            )
            + legend([(step, color[step]) for step in steps]),
            "read: WARC records skipped; other steps: documents dropped. "
            "Every count is in manifest.json under steps.",
        )
    )


def _duplicates(figures: CorpusFigures) -> str:
    sizes = sorted(figures.cluster_sizes.items())
    steps = figures.manifest.get("steps", {})
    dropped = {
        key.removeprefix("dedup.dropped."): count
        for key, count in steps.items()
        if key.startswith("dedup.dropped.")
    }
    dropped_text = ", ".join(f"{reason.replace('_', ' ')} {n:,}" for reason, n in dropped.items())
    return "<h2>Duplicates</h2>" + _figure(
        "chart-duplicates",
        "Stored documents by the number of copies found of their story (1 = unique)",
        column_chart("duplicates", [(str(size), count) for size, count in sizes], "documents"),
        f"copies dropped: {dropped_text}" if dropped_text else "no copy dropped",
    )


def _versions(figures: CorpusFigures) -> str:
    versions = figures.versions
    if not versions.changed_articles:
        return ""
    delays = [(label, versions.delays.get(label, 0)) for label, _ in EDIT_DELAYS]
    delays.append((LATER, versions.delays.get(LATER, 0)))
    rows = "".join(
        f'<tr><td dir="auto">{escape(a["title"] or "(no title)")}<div class="meta">'
        f"{escape(a['url'])}<br>newscorpus history CORPUS {escape(a['id'])}</div></td>"
        f'<td>{escape(a["domain"])}</td><td class="n">{a["versions"]}</td>'
        f'<td class="n">{a["title_changes"]}</td><td class="n">{a["paragraphs_added"]}</td></tr>'
        for a in versions.most_edited
    )
    return (
        "<h2>Versions</h2>"
        f"<p>{versions.changed_articles:,} article(s) changed after they were first fetched "
        f"({versions.versions:,} versions in <code>versions/</code>; <code>data/</code> "
        "holds the latest of each).</p>"
        + _figure(
            "chart-versions",
            "How soon after publication each change was seen",
            column_chart("versions", delays, "changes"),
            "from the publication date, else the first fetch, to the fetch that found the "
            "change: a change is seen at the next re-visit, not when it was made",
        )
        + "<h3>Most edited</h3><table><tr><th>article</th><th>site</th><th>versions</th>"
        f"<th>title changes</th><th>paragraphs added</th></tr>{rows}</table>"
    )


def _boilerplate(figures: CorpusFigures) -> str:
    domains = list(figures.boilerplate.items())[:BOILERPLATE_DOMAINS]
    per_domain = [(domain, entry.get("removed", 0)) for domain, entry in domains]
    parts = [
        "<h2>Boilerplate removed</h2>",
        _figure(
            "chart-boilerplate",
            "Boilerplate lines removed per site",
            bar_chart("boilerplate", per_domain, "lines"),
            "the full list is in boilerplate.json",
        ),
    ]
    for domain, entry in domains:
        rows = "".join(
            f'<tr><td dir="auto">{escape(line["line"])}</td><td>{escape(line["rule"])}</td>'
            f'<td class="n">{line["removed"]:,}</td></tr>'
            for line in entry.get("lines", [])[:BOILERPLATE_LINES]
        )
        parts.append(
            f"<h3>{escape(domain)}</h3><table><tr><th>line</th><th>rule</th>"
            f"<th>removed</th></tr>{rows}</table>"
        )
    return "".join(parts)


def _document(language: str, row: dict[str, Any]) -> str:
    text = row.get("text") or ""
    excerpt = text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    meta = " · ".join(
        escape(str(part))
        for part in (
            row.get("domain"),
            (row.get("published") or "")[:16] or None,
            ", ".join(a for a in row.get("authors") or [] if a) or None,
            f"{row.get('word_count') or 0:,} words",
        )
        if part
    )
    full = (
        f'<details><summary>full text</summary><div class="text" dir="auto">{escape(text)}</div>'
        "</details>"
        if len(text) > EXCERPT_CHARS
        else ""
    )
    url = escape(row.get("url") or "")
    return (
        f'<article class="doc" lang="{escape(language)}">'
        f'<h4 dir="auto">{escape(row.get("title") or "(no title)")}</h4>'
        f'<div class="meta" dir="auto">{meta}</div><div class="meta">{url}</div>'
        f'<div class="text" dir="auto">{escape(excerpt)}</div>{full}</article>'
    )


def _samples(figures: CorpusFigures) -> str:
    parts = ["<h2>Sample documents</h2>"]
    for language, rows in figures.samples.items():
        parts.append(f'<section class="sample" data-language="{escape(language)}">')
        parts.append(f"<h3>{escape(language)}</h3>")
        parts.extend(_document(language, row) for row in rows)
        parts.append("</section>")
    return "".join(parts)


def _build(figures: CorpusFigures) -> str:
    manifest = figures.manifest
    tool = manifest.get("tool", {})
    warnings = "".join(
        f'<p class="warning">{escape(str(w))}</p>' for w in manifest.get("warnings", [])
    )
    options = "".join(
        f"<tr><td><code>{escape(k)}</code></td><td><code>{escape(json.dumps(v))}</code></td></tr>"
        for k, v in sorted(flat_options(manifest.get("options", {})).items())
    )
    return (
        "<h2>How it was built</h2>"
        f"<p>newscorpus {escape(str(tool.get('version', '?')))}, schema version "
        f"{escape(str(manifest.get('schema_version', '?')))}, from "
        f"{len(manifest.get('inputs', []))} WARC file(s); manifest updated "
        f"{escape(str(manifest.get('updated', '?')))}.</p>"
        f"{warnings}<h3>Options</h3>"
        f"<table><tr><th>option</th><th>value</th></tr>{options}</table>"
    )


def render_report(figures: CorpusFigures) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "".join(
        (
            f"<h1>{escape(figures.name)}</h1>",
            f'<div class="muted">newscorpus report, generated {generated}</div>',
            _cards(figures),
            _languages(figures),
            _domains(figures),
            _dates(figures),
            _lengths(figures),
            _removed(figures),
            _duplicates(figures),
            _versions(figures),
            _boilerplate(figures),
            _samples(figures),
            _build(figures),
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(figures.name)}: newscorpus report</title>"
        f"<style>{_STYLE}</style></head><body><main>{body}</main>"
        f'<footer class="muted" style="text-align:center;padding:16px">newscorpus {__version__}'
        "</footer></body></html>\n"
    )


def write_report(corpus: Path, out: Path | None = None) -> Path:
    """Write the report of ``corpus`` (to ``CORPUS/report.html`` unless ``out`` says)."""
    path = out or corpus / REPORT
    html = render_report(gather_figures(corpus))
    with open_atomic(path, durable=False) as handle:
        handle.write(html)
    return path
