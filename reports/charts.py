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
import re
import unicodedata
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


def _is_count(values: Sequence[Number | None]) -> bool:
    """Whole numbers only (counts): the axis then gets whole-number ticks, never "18.8 faults"."""
    return all(v is None or float(v).is_integer() for v in values)


def _scale(value: float, *, integer: bool, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum ≥ value, tick step): a round step (1, 2, 2.5, 5 × 10^n; whole numbers for
    counts) and as many ticks as it takes to reach `value` (at most `ticks`)."""
    if value <= 0:
        return (float(ticks), 1.0) if integer else (1.0, 0.25)
    raw = value / ticks
    exp = math.floor(math.log10(raw))
    step = float(10 ** (exp + 1))
    for multiple in (1, 2, 2.5, 5, 10):
        candidate = multiple * 10.0**exp
        if integer and (candidate < 1 or not candidate.is_integer()):
            continue
        if candidate >= raw:
            step = candidate
            break
    if integer:
        step = max(step, 1.0)
    return step * math.ceil(value / step - 1e-9), step


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value (kept for callers that only need the top)."""
    return _scale(value, integer=float(value).is_integer())[0]


def _svg(width: int, height: float, body: list[str], title: str | None) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="{width}" '
        f'height="{height:.0f}" font-family="{FONT}" font-size="11" role="img">'
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


_NARROW = frozenset(" .,:;'|!()[]{}ilIjft/-")


def _char_em(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    if ch in _NARROW:
        return 0.34
    if ch == "%" or ch in "mwMW":
        return 0.9
    if ch.isupper() or ch.isdigit():
        return 0.64
    return 0.56


def text_width(text: str, size: float) -> float:
    """A slightly generous estimate of `text`'s width in px at font size `size` in Noto Sans (CJK
    glyphs a full em, Latin by letter class), so what is laid out to fit does fit."""
    return sum(size * _char_em(ch) for ch in text)


_TOKENS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+")


def wrap(text: object, *, size: float, width: float) -> list[str]:
    """`text` broken into lines no wider than `width`: between words (Latin) or characters (CJK);
    a word longer than a line is broken between its letters. Nothing is cut off."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(str(text)):
        if token.isspace():
            if line:
                line += " "
            continue
        if text_width(line + token, size) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        while text_width(token, size) > width and len(token) > 1:
            cut = len(token)
            while cut > 1 and text_width(token[:cut], size) > width:
                cut -= 1
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _lines(x: float, y: float, lines: Sequence[str], *, size: int, anchor: str = "start", fill: str = _TEXT,
           leading: float = 1.25) -> list[str]:
    return [_text(x, y + i * size * leading, line, anchor=anchor, size=size, fill=fill) for i, line in enumerate(lines)]


LEGEND_SIZE = 10


def _legend_layout(names: Sequence[object], *, width: float) -> tuple[list[tuple[float, float, list[str]]], float]:
    """Where each legend entry goes inside `width`: (dx, dy, wrapped lines) per entry, and the
    legend's height. Entries flow in rows; a name too long for the row wraps onto more lines."""
    size, swatch, gap = LEGEND_SIZE, 14.0, 14.0
    line_h = size * 1.25
    placed: list[tuple[float, float, list[str]]] = []
    dx = dy = 0.0
    row_lines = 1
    for name in names:
        lines = wrap(name, size=size, width=max(width - swatch, 40))
        item_w = swatch + max(text_width(line, size) for line in lines) + gap
        if dx > 0 and dx + item_w - gap > width:
            dx = 0.0
            dy += row_lines * line_h + 4
            row_lines = 1
        placed.append((dx, dy, lines))
        row_lines = max(row_lines, len(lines))
        dx += item_w
    height = dy + row_lines * line_h + 4 if placed else 0.0
    return placed, height


def _legend(names: Sequence[object], *, x: float, y: float, width: float) -> tuple[list[str], float]:
    """The legend's SVG starting at (x, y = top) within `width`, and its height."""
    placed, height = _legend_layout(names, width=width)
    out: list[str] = []
    for index, (dx, dy, lines) in enumerate(placed):
        base = y + dy + LEGEND_SIZE
        out.append(f'<rect x="{x + dx:.1f}" y="{base - 9:.1f}" width="10" height="10" '
                   f'fill="{PALETTE[index % len(PALETTE)]}"/>')
        out += _lines(x + dx + 14, base, lines, size=LEGEND_SIZE)
    return out, height


def _category_lines(labels: Sequence[object], slot: float) -> tuple[list[list[str]], bool, float]:
    """Each category label as lines that fit its column (at most 3), whether they are set at an
    angle instead (many columns), and the height they take below the axis."""
    if len(labels) > 8:
        longest = max((text_width(str(label), 9) for label in labels), default=0)
        return [[_short(label, 12)] for label in labels], True, min(longest, text_width("x" * 12, 9)) * 0.7 + 14
    lines = [wrap(label, size=10, width=max(slot - 4, 20))[:3] for label in labels]
    return lines, False, 6 + 12.5 * max((len(ls) for ls in lines), default=1)


def _frame(labels: Sequence[object], scale: tuple[float, float], *, width: int, plot_h: float, left: int,
           top: int, right: int) -> tuple[list[str], float, float, float, float]:
    """Axes, grid lines at the scale's ticks and category labels; returns (parts, x0, y0, plot
    width, height below the axis taken by the labels)."""
    max_value, step = scale
    x0, y0 = float(left), float(top) + plot_h
    plot_w = float(width - left - right)
    parts: list[str] = []
    ticks = round(max_value / step)
    for i in range(ticks + 1):
        value = step * i
        y = y0 - plot_h * value / max_value
        parts.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x0 + plot_w:.1f}" y2="{y:.1f}" stroke="{_GRID}" stroke-width="1"/>')
        parts.append(_text(x0 - 5, y + 4, _fmt(round(value, 4)), anchor="end", size=10, fill="#555"))
    parts.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x0 + plot_w:.1f}" y2="{y0:.1f}" stroke="{_AXIS}" stroke-width="1"/>')
    n = max(len(labels), 1)
    slot = plot_w / n
    label_lines, rotate, label_h = _category_lines(labels, slot)
    for i, lines in enumerate(label_lines):
        cx = x0 + slot * (i + 0.5)
        if rotate:
            parts.append(_text(cx + 3, y0 + 12, lines[0], anchor="end", size=9, rotate=-40))
        else:
            parts += _lines(cx, y0 + 14, lines, size=10, anchor="middle")
    return parts, x0, y0, plot_w, label_h


def _plot_height(height: int, *, legend: bool, top: int = 14) -> float:
    """The plot area a chart of nominal `height` gets (one line of labels, one legend row); longer
    labels and legends make the chart taller rather than squeezing or clipping them."""
    return float(height - top - 26 - (22 if legend else 0))


def bar_chart(*, labels: Sequence[object], values: Sequence[Number], width: int = 520, height: int = 230,
              color: str = PALETTE[0], title: str | None = None, show_values: bool = True) -> SafeString:
    """Vertical bars, one per label."""
    scale = _scale(max([float(v) for v in values] or [0]), integer=_is_count(values))
    max_value = scale[0]
    top = 14
    plot_h = _plot_height(height, legend=False, top=top)
    parts, x0, y0, plot_w, label_h = _frame(labels, scale, width=width, plot_h=plot_h, left=40, top=top, right=10)
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.62
    for i, value in enumerate(values):
        h = plot_h * float(value) / max_value
        x = x0 + slot * i + (slot - bar_w) / 2
        parts.append(f'<rect x="{x:.1f}" y="{y0 - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}"/>')
        if show_values:
            parts.append(_text(x + bar_w / 2, y0 - h - 3, _fmt(value), size=9))
    return _svg(width, y0 + label_h + 4, parts, title)


def hbar_chart(*, labels: Sequence[object], values: Sequence[Number], width: int = 520, height: int | None = None,
               color: str = PALETTE[0], title: str | None = None) -> SafeString:
    """Horizontal bars with the labels on the left (long names such as CIs wrap onto more lines)."""
    label_w = 170
    plot_w = width - label_w - 40
    max_value = _scale(max([float(v) for v in values] or [0]), integer=_is_count(values))[0]
    parts: list[str] = []
    y = 8.0
    for label, value in zip(labels, values, strict=False):
        lines = wrap(label, size=10, width=label_w - 10)[:3]
        row = max(20.0, 6 + 12.5 * len(lines))
        w = plot_w * float(value) / max_value
        first = y + row / 2 + 4 - (len(lines) - 1) * 12.5 / 2
        parts += _lines(label_w - 6, first, lines, size=10, anchor="end")
        parts.append(f'<rect x="{label_w}" y="{y + row / 2 - 7:.1f}" width="{w:.1f}" height="14" fill="{color}"/>')
        parts.append(_text(label_w + w + 4, y + row / 2 + 4, _fmt(value), anchor="start", size=10))
        y += row
    total = max(float(height or 0), 60.0, y + 8)
    parts.append(f'<line x1="{label_w}" y1="4" x2="{label_w}" y2="{total - 4:.1f}" stroke="{_AXIS}" stroke-width="1"/>')
    return _svg(width, total, parts, title)


def stacked_bar_chart(*, labels: Sequence[object], series: Sequence[tuple[object, Sequence[Number]]],
                      width: int = 520, height: int = 250, title: str | None = None) -> SafeString:
    """Vertical bars stacked by series (e.g. faults per month by level), with a legend."""
    totals = [sum(float(values[i]) for _name, values in series) for i in range(len(labels))]
    scale = _scale(max(totals or [0]), integer=all(_is_count(values) for _n, values in series))
    max_value = scale[0]
    top = 14
    plot_h = _plot_height(height, legend=True, top=top)
    parts, x0, y0, plot_w, label_h = _frame(labels, scale, width=width, plot_h=plot_h, left=40, top=top, right=10)
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
    legend, legend_h = _legend([name for name, _v in series], x=x0, y=y0 + label_h + 4, width=width - x0 - 4)
    parts += legend
    return _svg(width, y0 + label_h + 4 + legend_h + 2, parts, title)


def line_chart(*, labels: Sequence[object], series: Sequence[tuple[object, Sequence[Number | None]]],
               width: int = 520, height: int = 240, title: str | None = None, max_value: float | None = None,
               show_values: bool = False) -> SafeString:
    """One line per series (None = no value: the line breaks), points marked, legend below."""
    finite = [float(v) for _n, values in series for v in values if v is not None]
    if max_value is not None:
        scale = (float(max_value), float(max_value) / 4)
    else:
        scale = _scale(max(finite or [0]), integer=all(_is_count(values) for _n, values in series))
    top_value = scale[0]
    top = 14
    plot_h = _plot_height(height, legend=True, top=top)
    parts, x0, y0, plot_w, label_h = _frame(labels, scale, width=width, plot_h=plot_h, left=40, top=top, right=10)
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
    legend, legend_h = _legend([name for name, _v in series], x=x0, y=y0 + label_h + 4, width=width - x0 - 4)
    parts += legend
    return _svg(width, y0 + label_h + 4 + legend_h + 2, parts, title)


def pie_chart(*, slices: Sequence[tuple[object, Number]], width: int = 420, height: int = 200, donut: bool = True,
              title: str | None = None, center_label: object | None = None) -> SafeString:
    """Pie (or donut) with a legend on the right showing each slice's value and share; legend
    entries wrap within the chart's width (never cut off), and the chart grows taller if needed."""
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
    text_w = width - lx - 14 - 4
    y = 18.0
    for index, (label, value) in enumerate(slices):
        share = (100 * float(value) / total) if total else 0
        lines = wrap(f"{label}  {_fmt(value)} ({share:.0f}%)", size=10, width=text_w)
        parts.append(f'<rect x="{lx:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>')
        parts += _lines(lx + 14, y, lines, size=10)
        y += 12.5 * len(lines) + 5.5
    return _svg(width, max(float(height), y), parts, title)
