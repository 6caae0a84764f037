"""Charts for reports and the dashboard as inline SVG strings (safe to put in a template with {{ chart }}).

Hand-written SVG rather than a plotting library: WeasyPrint renders plain SVG shapes and text
faithfully (no scripts, no foreignObject), the output is small, deterministic and needs no extra
dependency, and the same markup works in the browser dashboard. Every function takes plain numbers
and labels (already aggregated in SQL) and returns a SafeString; labels are escaped.

    bar_chart(labels=[...], values=[...])
    hbar_chart(labels=[...], values=[...])                 # long labels, e.g. top CIs
    stacked_bar_chart(labels=[...], series=[(name, [...]), ...])
    line_chart(labels=[...], series=[(name, [...]), ...])
    pie_chart(slices=[(label, value), ...], donut=True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colour-blind-friendly palette (Okabe–Ito, darkened blue first).
PALETTE = ("#0b5fa5", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#8c6d1f", "#6b6b6b")
FONT = "Noto Sans CJK SC, Noto Sans, DejaVu Sans, sans-serif"
_AXIS = "#888"
_GRID = "#e3e7eb"
_TEXT = "#333"

Number = int | float


def _fmt(value: Number) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}"


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    if value <= 4 and float(value).is_integer():
        return 4.0  # small counts: the four gridlines fall on whole numbers (no "0.2 faults")
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exp
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exp + 1))


def _svg(width: int, height: int, body: list[str], title: str | None) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" font-family="{FONT}" font-size="11" role="img">'
    )
    label = f"<title>{escape(title)}</title>" if title else ""
    return mark_safe(head + label + "".join(body) + "</svg>")  # noqa: S308 - every text is escaped


def _text(x: float, y: float, text: object, *, anchor: str = "middle", size: int = 11, fill: str = _TEXT,
          weight: str = "normal", rotate: float | None = None) -> str:
    transform = f' transform="rotate({rotate:.0f} {x:.1f} {y:.1f})"' if rotate else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
        f'font-weight="{weight}"{transform}>{escape(str(text))}</text>'
    )


def _short(label: object, limit: int) -> str:
    text = str(label)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(names: Sequence[object], *, x: float, y: float, width: float) -> list[str]:
    out: list[str] = []
    cx = x
    for index, name in enumerate(names):
        text = _short(name, 18)
        item_width = 18 + 7 * len(text) + 14
        if cx + item_width > x + width and cx > x:
            cx = x
            y += 16
        out.append(f'<rect x="{cx:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>')
        out.append(_text(cx + 14, y, text, anchor="start", size=10))
        cx += item_width
    return out


def _frame(labels: Sequence[object], max_value: float, *, width: int, height: int, left: int, bottom: int,
           top: int, right: int) -> tuple[list[str], float, float, float, float]:
    """Axes, grid lines and category labels; returns (parts, x0, y0, plot width, plot height)."""
    x0, y0 = float(left), float(height - bottom)
    plot_w, plot_h = float(width - left - right), float(height - bottom - top)
    parts: list[str] = []
    for i in range(5):
        value = max_value * i / 4
        y = y0 - plot_h * i / 4
        parts.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x0 + plot_w:.1f}" y2="{y:.1f}" stroke="{_GRID}" stroke-width="1"/>')
        parts.append(_text(x0 - 5, y + 4, _fmt(value), anchor="end", size=10, fill="#555"))
    parts.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x0 + plot_w:.1f}" y2="{y0:.1f}" stroke="{_AXIS}" stroke-width="1"/>')
    n = max(len(labels), 1)
    slot = plot_w / n
    rotate = n > 8
    for i, label in enumerate(labels):
        cx = x0 + slot * (i + 0.5)
        if rotate:
            parts.append(_text(cx + 3, y0 + 12, _short(label, 10), anchor="end", size=9, rotate=-40))
        else:
            parts.append(_text(cx, y0 + 14, _short(label, max(4, int(slot / 6.5))), size=10))
    return parts, x0, y0, plot_w, plot_h


def bar_chart(*, labels: Sequence[object], values: Sequence[Number], width: int = 520, height: int = 230,
              color: str = PALETTE[0], title: str | None = None, show_values: bool = True) -> SafeString:
    """Vertical bars, one per label."""
    max_value = _nice_max(max([float(v) for v in values] or [0]))
    bottom = 44 if len(labels) > 8 else 26
    parts, x0, y0, plot_w, plot_h = _frame(labels, max_value, width=width, height=height, left=40, bottom=bottom,
                                           top=14, right=10)
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.62
    for i, value in enumerate(values):
        h = plot_h * float(value) / max_value
        x = x0 + slot * i + (slot - bar_w) / 2
        parts.append(f'<rect x="{x:.1f}" y="{y0 - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}"/>')
        if show_values:
            parts.append(_text(x + bar_w / 2, y0 - h - 3, _fmt(value), size=9))
    return _svg(width, height, parts, title)


def hbar_chart(*, labels: Sequence[object], values: Sequence[Number], width: int = 520, height: int | None = None,
               color: str = PALETTE[0], title: str | None = None) -> SafeString:
    """Horizontal bars with the labels on the left (long names such as CIs)."""
    row = 20
    height = height or max(60, 16 + row * len(labels))
    label_w = 170
    plot_w = width - label_w - 40
    max_value = _nice_max(max([float(v) for v in values] or [0]))
    parts: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        y = 8 + row * i
        w = plot_w * float(value) / max_value
        parts.append(_text(label_w - 6, y + 12, _short(label, 26), anchor="end", size=10))
        parts.append(f'<rect x="{label_w}" y="{y + 2:.1f}" width="{w:.1f}" height="{row - 6}" fill="{color}"/>')
        parts.append(_text(label_w + w + 4, y + 12, _fmt(value), anchor="start", size=10))
    parts.append(f'<line x1="{label_w}" y1="4" x2="{label_w}" y2="{height - 4}" stroke="{_AXIS}" stroke-width="1"/>')
    return _svg(width, height, parts, title)


def stacked_bar_chart(*, labels: Sequence[object], series: Sequence[tuple[object, Sequence[Number]]],
                      width: int = 520, height: int = 250, title: str | None = None) -> SafeString:
    """Vertical bars stacked by series (e.g. faults per month by level), with a legend."""
    totals = [sum(float(values[i]) for _name, values in series) for i in range(len(labels))]
    max_value = _nice_max(max(totals or [0]))
    legend_h = 20 * (1 + len(series) // 5)
    bottom = (44 if len(labels) > 8 else 26) + legend_h
    parts, x0, y0, plot_w, plot_h = _frame(labels, max_value, width=width, height=height, left=40, bottom=bottom,
                                           top=14, right=10)
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.62
    for i in range(len(labels)):
        base = 0.0
        x = x0 + slot * i + (slot - bar_w) / 2
        for s_index, (_name, values) in enumerate(series):
            value = float(values[i])
            if value <= 0:
                continue
            h = plot_h * value / max_value
            y = y0 - plot_h * (base + value) / max_value
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[s_index % len(PALETTE)]}"/>')
            base += value
        if totals[i]:
            parts.append(_text(x + bar_w / 2, y0 - plot_h * base / max_value - 3, _fmt(totals[i]), size=9))
    parts += _legend([name for name, _v in series], x=x0, y=height - legend_h + 12, width=plot_w)
    return _svg(width, height, parts, title)


def line_chart(*, labels: Sequence[object], series: Sequence[tuple[object, Sequence[Number | None]]],
               width: int = 520, height: int = 240, title: str | None = None, max_value: float | None = None,
               show_values: bool = False) -> SafeString:
    """One line per series (None = no value: the line breaks), points marked, legend below."""
    finite = [float(v) for _n, values in series for v in values if v is not None]
    top_value = max_value if max_value is not None else _nice_max(max(finite or [0]))
    legend_h = 20 * (1 + len(series) // 5)
    bottom = (44 if len(labels) > 8 else 26) + legend_h
    parts, x0, y0, plot_w, plot_h = _frame(labels, top_value, width=width, height=height, left=40, bottom=bottom,
                                           top=14, right=10)
    slot = plot_w / max(len(labels), 1)
    for s_index, (_name, values) in enumerate(series):
        color = PALETTE[s_index % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = x0 + slot * (i + 0.5)
            y = y0 - plot_h * float(value) / top_value
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{color}"/>')
            if show_values:
                parts.append(_text(x, y - 5, _fmt(value), size=9, fill=color))
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="1.8"/>')
    parts += _legend([name for name, _v in series], x=x0, y=height - legend_h + 12, width=plot_w)
    return _svg(width, height, parts, title)


def pie_chart(*, slices: Sequence[tuple[object, Number]], width: int = 420, height: int = 200, donut: bool = True,
              title: str | None = None, center_label: object | None = None) -> SafeString:
    """Pie (or donut) with a legend on the right showing each slice's value and share."""
    total = sum(float(v) for _l, v in slices)
    r = min(height / 2 - 10, 90)
    cx, cy = r + 10, height / 2
    parts: list[str] = []
    if total <= 0:
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{_GRID}"/>')
    else:
        angle = -math.pi / 2
        for index, (_label, value) in enumerate(slices):
            share = float(value) / total
            if share <= 0:
                continue
            color = PALETTE[index % len(PALETTE)]
            if share >= 0.9999:
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{color}"/>')
                break
            end = angle + 2 * math.pi * share
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            parts.append(f'<path d="M{cx:.1f},{cy:.1f} L{x1:.2f},{y1:.2f} A{r:.1f},{r:.1f} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
                         f'fill="{color}" stroke="#fff" stroke-width="1"/>')
            angle = end
    if donut:
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r * 0.55:.1f}" fill="#fff"/>')
        parts.append(_text(cx, cy + 5, _fmt(total) if center_label is None else center_label, size=14, weight="bold"))
    lx = cx + r + 18
    for index, (label, value) in enumerate(slices):
        y = 18 + index * 18
        if y > height - 4:
            break
        share = (100 * float(value) / total) if total else 0
        parts.append(f'<rect x="{lx:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>')
        parts.append(_text(lx + 14, y, f"{_short(label, 16)}  {_fmt(value)} ({share:.0f}%)", anchor="start", size=10))
    return _svg(width, height, parts, title)
