"""The KPI trend as a small server-side SVG (no JavaScript, no chart library): the weighted score
of each published month, oldest to newest, on the configured scale. Fits a 375 px phone (scales
with its container: viewBox, width 100 %)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 320, 140
LEFT, RIGHT, TOP, BOTTOM = 28, 12, 14, 26


def trend_svg(points: Sequence[tuple[date, Decimal]], *, low: int, high: int) -> SafeString:
    """`points`: (month, total) oldest first. An empty string without points."""
    if not points:
        return SafeString("")
    span = max(high - low, 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + (i * step if len(points) > 1 else inner_w / 2), 1)

    def y(value: Decimal | int) -> float:
        clamped = min(max(float(value), low), high)
        return round(TOP + inner_h * (1 - (clamped - low) / span), 1)

    grid = format_html_join("", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d0d7de" stroke-width="1"/>'
                            '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#57606a">{}</text>',
                            ((LEFT, y(v), WIDTH - RIGHT, y(v), LEFT - 4, y(v) + 3, v) for v in range(low, high + 1)))
    line = " ".join(f"{x(i)},{y(total)}" for i, (_m, total) in enumerate(points))
    every = max(1, len(points) // 6)  # at most about six month labels on a phone
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="3" fill="#0969da"><title>{}: {}</title></circle>',
                            ((x(i), y(total), month.strftime("%Y-%m"), total) for i, (month, total) in enumerate(points)))
    labels = format_html_join("", '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#57606a">{}</text>',
                              ((x(i), HEIGHT - 8, month.strftime("%y-%m")) for i, (month, _t) in enumerate(points)
                               if i % every == 0 or i == len(points) - 1))
    last_month, last_total = points[-1]
    title = _("Weighted score per month, %(first)s to %(last)s; latest %(total)s") % {
        "first": points[0][0].strftime("%Y-%m"), "last": last_month.strftime("%Y-%m"), "total": last_total}
    return format_html(
        '<svg class="kpi-trend" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}'
        '<polyline points="{}" fill="none" stroke="#0969da" stroke-width="2"/>{}{}</svg>',
        WIDTH, HEIGHT, title, title, grid, line, dots, labels)
