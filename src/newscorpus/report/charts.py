"""Charts as inline SVG, drawn here: the report needs no script and no network to show them.

Every bar is a ``<rect class="bar">`` with a ``<title>`` (the browser's tooltip gives the
exact figure); every text is escaped, since labels come from crawled pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#3566a8", "#d9822b", "#3a9a5b", "#c23b52", "#7b5ea7", "#8c6d46", "#2b9bb0", "#777")
WIDTH = 720
ROW_HEIGHT = 22
LABEL_CHARS = 34


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _empty(chart_id: str, message: str) -> str:
    return (
        f'<svg class="chart-svg empty" data-chart="{escape(chart_id)}" viewBox="0 0 {WIDTH} 40" '
        f'role="img"><text x="8" y="24" class="muted">{escape(message)}</text></svg>'
    )


def bar_chart(
    chart_id: str,
    items: Sequence[tuple[str, float]],
    unit: str,
    colors: Sequence[str] | None = None,
) -> str:
    """Horizontal bars, one row per item (label, value), largest scale at the widest bar."""
    if not items or max(value for _, value in items) <= 0:
        return _empty(chart_id, "nothing to show")
    longest = max(len(_short(label)) for label, _ in items)
    label_width = min(260, 14 + 7 * longest)
    value_width = 90
    plot = WIDTH - label_width - value_width
    top = max(value for _, value in items)
    height = ROW_HEIGHT * len(items) + 8
    parts = [
        f'<svg class="chart-svg" data-chart="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(chart_id)}">'
    ]
    for row, (label, value) in enumerate(items):
        y = 4 + row * ROW_HEIGHT
        length = max(1.0, plot * value / top) if value > 0 else 0.0
        color = colors[row] if colors else PALETTE[0]
        tip = f"{label}: {_number(value)} {unit}"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f"{escape(_short(label))}</text>"
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{length:.1f}" '
            f'height="{ROW_HEIGHT - 6}" fill="{color}"><title>{escape(tip)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" class="value">'
            f"{escape(_number(value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(chart_id: str, items: Sequence[tuple[str, float]], unit: str) -> str:
    """Vertical bars over an ordered axis (periods, bins), with a y scale and sparse labels."""
    if not items or max(value for _, value in items) <= 0:
        return _empty(chart_id, "nothing to show")
    left, right, top_margin, bottom = 56, 12, 12, 64
    height = 260
    plot_width = WIDTH - left - right
    plot_height = height - top_margin - bottom
    top = max(value for _, value in items)
    step = plot_width / len(items)
    gap = min(4.0, step * 0.2)
    every = max(1, round(len(items) / 24))  # at most ~24 axis labels
    parts = [
        f'<svg class="chart-svg" data-chart="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(chart_id)}">'
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = top_margin + plot_height * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="value">'
            f"{escape(_number(round(top * fraction, 2)))}</text>"
        )
    for index, (label, value) in enumerate(items):
        x = left + index * step
        bar_height = max(1.0, plot_height * value / top) if value > 0 else 0.0
        y = top_margin + plot_height - bar_height
        tip = f"{label}: {_number(value)} {unit}"
        parts.append(
            f'<rect class="bar" x="{x + gap / 2:.1f}" y="{y:.1f}" width="{step - gap:.1f}" '
            f'height="{bar_height:.1f}" fill="{PALETTE[0]}"><title>{escape(tip)}</title></rect>'
        )
        if index % every == 0:
            cx = x + step / 2
            base = top_margin + plot_height + 12
            parts.append(
                f'<text x="{cx:.1f}" y="{base:.1f}" class="label" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {base:.1f})">{escape(_short(label, 12))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def legend(entries: Sequence[tuple[str, str]]) -> str:
    """Colour keys for a chart whose bars have several colours: (label, colour)."""
    keys = "".join(
        f'<span class="key"><span class="swatch" style="background:{color}"></span>'
        f"{escape(label)}</span>"
        for label, color in entries
    )
    return f'<div class="legend">{keys}</div>'
