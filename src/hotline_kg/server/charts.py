"""Charts for the resource pages, drawn on the server as SVG: pure functions from figures to an
SVG string, readable without JavaScript.

Every chart scales to the width of its container (``viewBox``, ``width="100%"``), so that it fits a
phone's screen; it has a ``<title>`` (and a ``<desc>`` listing its figures) for screen readers, and
every text in it is escaped (``html.escape``). Fonts are sized for a 480-unit-wide view box, which
a phone shows at about three quarters of its size.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 480
BAR = "#4a78b5"
BAR_NEGATIVE = "#b5524a"
#: The least a bar is drawn (px), so that a value near nothing still shows.
MIN_BAR = 0.6
PARTS = ("#4a78b5", "#e0a43a", "#6aa56a", "#a36ab0", "#888888")
FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class Point:
    """One bar of a series: the period it is for (as shown), its value and the value as printed."""

    period: str
    value: float
    text: str


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _open(chart_id: str, height: int, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{_e(chart_id)}-t {_e(chart_id)}-d" '
        f'class="chart" id="{_e(chart_id)}">'
        f'<title id="{_e(chart_id)}-t">{_e(title)}</title><desc id="{_e(chart_id)}-d">{_e(desc)}</desc>'
    )


def series(chart_id: str, title: str, unit: str, points: Sequence[Point]) -> str:
    """A bar chart of one series, one bar per period in the order given (time order: the caller's
    job), each bar labelled with its value as printed; the unit is printed above the bars.
    Negative values (a fall) hang below the zero line."""
    height, top, bottom, left, right = 190, 58, 156, 8, WIDTH - 8
    values = [p.value for p in points]
    high, low = max([0, *values]), min([0, *values])
    span = (high - low) or 1
    zero = top + (bottom - top) * high / span
    step = (right - left) / max(len(points), 1)
    bar = min(step * 0.6, 72)
    label_size = 14 if step >= 56 else 12 if step >= 40 else 10
    desc = "; ".join(f"{p.period}: {p.text} {unit}" for p in points)
    parts = [
        _open(chart_id, height, f"{title} ({unit})", desc),
        f'<text x="{left}" y="18" font-size="15" font-weight="600" {FONT}>{_e(title)}</text>',
        f'<text x="{left}" y="36" font-size="13" fill="#555" {FONT}>{_e("单位 unit: " + unit)}</text>',
    ]
    for i, p in enumerate(points):
        x = left + step * i + (step - bar) / 2
        y_value = top + (bottom - top) * (high - p.value) / span
        y, h = min(y_value, zero), abs(y_value - zero)
        colour = BAR_NEGATIVE if p.value < 0 else BAR
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{max(h, MIN_BAR):.1f}" fill="{colour}">'
            f"<title>{_e(f'{p.period}: {p.text} {unit}')}</title></rect>"
        )
        y_text = y - 4 if p.value >= 0 else y + h + label_size
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{y_text:.1f}" font-size="{label_size}" text-anchor="middle" '
            f"{FONT}>{_e(p.text)}</text>"
        )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - 14}" font-size="{label_size}" text-anchor="middle" '
            f'class="period" {FONT}>{_e(p.period)}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{right}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#333" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def shares(chart_id: str, title: str, rows: Sequence[tuple[str, Sequence[tuple[str, float, str]]]]) -> str:
    """Shares of a whole, one stacked bar per period (``rows``: period, then each part's name,
    share in per cent and share as printed), each part labelled with its share; a legend below."""
    names: list[str] = []
    for _, parts_of in rows:
        names += [n for n, _, _ in parts_of if n not in names]
    colours = {n: PARTS[i % len(PARTS)] for i, n in enumerate(names)}
    left, right, row_h, top = 56, WIDTH - 8, 34, 30
    height = top + row_h * len(rows) + 22 * len(names) + 12
    desc = "; ".join(f"{period}: " + ", ".join(f"{n} {t} %" for n, _, t in ps) for period, ps in rows)
    out = [
        _open(chart_id, height, f"{title} (%)", desc),
        f'<text x="0" y="18" font-size="15" font-weight="600" {FONT}>{_e(title + " (%)")}</text>',
    ]
    for i, (period, parts_of) in enumerate(rows):
        y = top + row_h * i
        out.append(f'<text x="0" y="{y + 19}" font-size="13" class="period" {FONT}>{_e(period)}</text>')
        x = float(left)
        for name, value, text in parts_of:
            w = (right - left) * max(value, 0) / 100
            out.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="24" fill="{colours[name]}">'
                f"<title>{_e(f'{period}: {name} {text} %')}</title></rect>"
            )
            if w > 44:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 19}" font-size="13" text-anchor="middle" fill="#fff" '
                    f"{FONT}>{_e(text + '%')}</text>"
                )
            x += w
    y = top + row_h * len(rows) + 6
    for i, name in enumerate(names):
        out.append(f'<rect x="{left}" y="{y + 22 * i}" width="14" height="14" fill="{colours[name]}"/>')
        out.append(f'<text x="{left + 20}" y="{y + 22 * i + 12}" font-size="13" {FONT}>{_e(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def bars(chart_id: str, title: str, unit: str, rows: Sequence[tuple[str, str, float, str, str, str]]) -> str:
    """A horizontal bar chart, one row per item in the order given (``rows``: Chinese name, English
    name, value, value as printed, link of the bar and its value, link of the name); the names
    stand left of the bars, Chinese above English, the unit is printed above the rows. A link
    is left out where it is empty; a linked name is clickable over its whole cell."""
    left, label_w, row_h, top = 0, 150, 34, 44
    right = WIDTH - 56
    height = top + row_h * len(rows) + 6
    high = max([0, *(r[2] for r in rows)]) or 1
    desc = "; ".join(f"{zh} {en}: {text} {unit}".replace("  ", " ") for zh, en, _, text, _, _ in rows)
    out = [
        _open(chart_id, height, f"{title} ({unit})", desc),
        f'<text x="{left}" y="18" font-size="15" font-weight="600" {FONT}>{_e(title)}</text>',
        f'<text x="{left}" y="36" font-size="13" fill="#555" {FONT}>{_e("单位 unit: " + unit)}</text>',
    ]

    def link(href: str, body: str) -> str:
        return f'<a href="{_e(href)}">{body}</a>' if href else body

    def cut(text: str, most: int) -> str:
        return text if len(text) <= most else text[: most - 1] + "…"

    for i, (zh, en, value, text, href, name_href) in enumerate(rows):
        y = top + row_h * i
        # the whole name cell takes the click, not only the glyphs of its two lines
        name = (
            f'<rect x="{left}" y="{y}" width="{label_w - 4}" height="{row_h - 2}" fill="none" pointer-events="all"/>'
            if name_href
            else ""
        )
        name += f'<text x="{left}" y="{y + 14}" font-size="13" lang="zh" {FONT}>{_e(cut(zh, 11))}</text>'
        if en:
            name += (
                f'<text x="{left}" y="{y + 27}" font-size="10" fill="#555" lang="en" {FONT}>{_e(cut(en, 27))}</text>'
            )
        out.append(link(name_href, name))
        x0 = left + label_w
        w = (right - x0) * max(value, 0) / high
        bar = (
            f'<rect x="{x0}" y="{y + 6}" width="{max(w, MIN_BAR):.1f}" height="18" fill="{BAR}">'
            f"<title>{_e(f'{zh} {en}: {text} {unit}')}</title></rect>"
            f'<text x="{x0 + w + 4:.1f}" y="{y + 20}" font-size="12" {FONT}>{_e(text)}</text>'
        )
        out.append(link(href, bar))
    out.append("</svg>")
    return "".join(out)
