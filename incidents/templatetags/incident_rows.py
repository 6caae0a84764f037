"""The rows of the staff work lists, rendered in Python (issue 19).

The dispatcher's queue and the incident tables (my work, the incident list) render 50 rows of ten
cells. Through the template language that cost ~0.4 ms per row (variable lookups, includes, filters,
two URL reversals and lazy text per row): 20 ms of a 48 ms page. Here each row is one format string
with its values escaped; the labels, URL patterns and time zones are looked up once per table.

The output is the HTML the templates gave, cell for cell: tests/incidents/test_row_html.py renders the
same rows through the original templates (kept in tests/incidents/templates/) and compares them.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.template.defaultfilters import timesince_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import MONTHS_DAYS
from django.utils.translation import get_language, gettext

from incidents.templatetags.sla_tags import countdown, due_state

register = template.Library()

# The customer's wall clock: the deadline cell shows it whatever the user's time zone.
DEADLINE_TZ = ZoneInfo("Asia/Shanghai")
_PK = 918273645  # a placeholder id: each URL is reversed once per table, then filled per row


def _e(text: Any) -> str:
    """django.utils.html.escape for a row's values (the same characters, through html.escape) without
    its per-call checks for lazy text and its SafeString: the rows are marked safe once, whole."""
    return html.escape(str(text))


def _url(name: str) -> tuple[str, str]:
    head, _sep, tail = reverse(name, args=[_PK]).partition(str(_PK))
    return escape(head), escape(tail)


def _due_cell(inc: Any, now: datetime, tz: Any, labels: dict[str, str]) -> str:
    """incidents/partials/next_due.html."""
    due = inc.sla_next_due
    if not due:
        return "–\n"
    shown = f'<span class="due-at">{due.astimezone(DEADLINE_TZ).strftime("%m-%d %H:%M")}</span>'
    if inc.sla_paused_at:
        return f'{shown} <span class="tag tag-paused">{labels["paused"]}</span>\n'
    return (f'{shown}<span class="countdown" data-due="{due.astimezone(tz).isoformat()}" '
            f'data-overdue="{labels["overdue"]}" data-day-unit="{labels["d"]}">{_e(countdown(due, now))}</span>\n')


def _related(inc: Any) -> tuple[str, str, str]:
    """(organisation, CI or "–", assignee or else support group or "–"), escaped, of a named work row
    (incidents.selectors.incident_work_rows) or an Incident with its relations selected."""
    who: str | None
    row: Any = inc
    if isinstance(inc, tuple):
        org, ci = row.organization__name, row.ci__name
        if row.assignee_id is not None:  # User.display_name
            who = (row.assignee__name or f"{row.assignee__first_name} {row.assignee__last_name}".strip()
                   or row.assignee__username)
        else:
            who = row.group__name if row.group_id is not None else None
    else:
        org, ci = str(inc.organization), (str(inc.ci) if inc.ci else None)
        who = (inc.assignee.display_name if inc.assignee_id is not None
               else str(inc.group) if inc.group_id is not None else None)
    return _e(org), "–" if ci is None else _e(ci), "–" if who is None else _e(who)


def _badge(inc: Any, levels: dict[str, str]) -> str:
    """includes/level_badge.html."""
    level = _e(inc.fault_level)
    return (f'<span class="badge level level-{level}" title="{levels.get(inc.fault_level, level)}">'
            f"{level}</span>\n")


def _display(field: str) -> dict[Any, str]:
    """`get_<field>_display()` for every choice, escaped, in the active language: once per table."""
    from incidents.models import Incident  # noqa: PLC0415

    choices: Any = Incident._meta.get_field(field)
    return {value: escape(label) for value, label in choices.flatchoices}


def _escaped(labels: dict[str, str]) -> dict[str, str]:
    return {key: escape(text) for key, text in labels.items()}


def _deadline_labels() -> dict[str, str]:
    return {"paused": gettext("paused"), "overdue": gettext("overdue"), "d": gettext("d")}


def _local(value: datetime | None, tz: Any) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


# `timesince` counts whole calendar months from `value` (to a pivot instant), then writes the weeks,
# days, hours and minutes left: every unit a multiple of a minute. Its text is therefore decided by
# the month count, the whole minutes after the pivot and the language; it is kept under those (a
# queue's ages repeat from one view to the next, and formatting them through lazy plural
# translations is what costs). The month count and pivot below are timesince's own arithmetic.
_ages: dict[tuple[int, int, str | None], str] = {}


def _age(value: datetime | None, now: datetime) -> str:
    """`{{ value|timesince:now }}`, escaped."""
    if value is None or value.tzinfo is None or now.tzinfo is None:
        return escape(timesince_filter(value, now))
    now = now.astimezone(value.tzinfo)
    months = (now.year - value.year) * 12 + (now.month - value.month)
    if value.day > now.day or (value.day == now.day and value.time() > now.time()):
        months -= 1
    pivot = value
    if months > 0:
        year, month = value.year + months // 12, value.month + months % 12
        if month > 12:
            year, month = year + 1, month - 12
        pivot = datetime(year, month, min(MONTHS_DAYS[month - 1], value.day), value.hour, value.minute,
                         value.second, tzinfo=value.tzinfo)
    key = (months, int((now - pivot).total_seconds() // 60), get_language())
    text = _ages.get(key)
    if text is None:
        if len(_ages) > 100_000:
            _ages.clear()
        text = _ages[key] = escape(timesince_filter(value, now))
    return text


@register.simple_tag(takes_context=True)
def queue_rows(context: template.Context, incidents: list[Any], now: datetime, can_assign: bool) -> SafeString:
    """The `<tr>`s of the dispatch queue (templates/incidents/queue.html)."""
    tz = timezone.get_current_timezone()
    lab = _escaped({
        "Support group": gettext("Support group"), "— group —": gettext("— group —"), "Engineer": gettext("Engineer"),
        "— engineer —": gettext("— engineer —"), "Number": gettext("Number"), "Level": gettext("Level"),
        "Title": gettext("Title"), "Next deadline": gettext("Next deadline"), "Organisation": gettext("Organisation"),
        "Device / CI": gettext("Device / CI"), "Age": gettext("Age"), "Reported": gettext("Reported"),
        "Assign": gettext("Assign"), **_deadline_labels()})
    levels = _display("fault_level")
    detail, detail_tail = _url("incidents:detail")
    move, move_tail = _url("incidents:transition")
    token = context.get("csrf_token")  # as {% csrf_token %} renders it
    csrf = ("" if not token or token == "NOTPROVIDED"
            else f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">')
    request = context.get("request")
    back = escape(request.get_full_path()) if request is not None else ""
    out = []
    for inc in incidents:
        pk = inc.pk
        org, ci, _who = _related(inc)
        row = (
            f'\n    <tr data-due-row data-due-state="{due_state(inc, now)}">\n'
            f'      <td data-label="{lab["Number"]}"><a class="mono" href="{detail}{pk}{detail_tail}">'
            f"{_e(inc.number)}</a></td>\n"
            f'      <td data-label="{lab["Level"]}">{_badge(inc, levels)}</td>\n'
            f'      <td data-label="{lab["Title"]}" class="cell-title">{_e(inc.title)}</td>\n'
            f'      <td data-label="{lab["Next deadline"]}" class="due-cell">{_due_cell(inc, now, tz, lab)}</td>\n'
            f'      <td data-label="{lab["Organisation"]}">{org}</td>\n'
            f'      <td data-label="{lab["Device / CI"]}">{ci}</td>\n'
            f'      <td data-label="{lab["Age"]}" class="nowrap">{_age(inc.reported_at, now)}</td>\n'
            f'      <td data-label="{lab["Reported"]}" class="nowrap">{_local(inc.reported_at, tz)}</td>\n'
        )
        if can_assign:
            group = "" if inc.group_id is None else inc.group_id
            row += (
                f'      <td data-label="{lab["Assign"]}" class="cell-actions">\n'
                f'        <form method="post" action="{move}{pk}{move_tail}" class="inline-assign">\n'
                f"          {csrf}\n"
                '          <input type="hidden" name="action" value="assign">\n'
                f'          <input type="hidden" name="assign-version" value="{inc.version}">\n'
                f'          <input type="hidden" name="next" value="{back}">\n'
                f'          <label class="visually-hidden" for="g{pk}">{lab["Support group"]}</label>\n'
                f'          <select name="assign-group" id="g{pk}" data-group-select data-options-from="group-options"'
                f' data-value="{group}">\n'
                f'            <option value="">{lab["— group —"]}</option>\n'
                "          </select>\n"
                f'          <label class="visually-hidden" for="e{pk}">{lab["Engineer"]}</label>\n'
                f'          <select name="assign-assignee" id="e{pk}" data-engineer-select'
                ' data-options-from="engineer-options">\n'
                f'            <option value="">{lab["— engineer —"]}</option>\n'
                "          </select>\n"
                f'          <button type="submit" class="btn btn-primary btn-small">{lab["Assign"]}</button>\n'
                "        </form>\n"
                "      </td>\n"
            )
        out.append(row + "    </tr>\n  ")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def incident_table_rows(incidents: list[Any], now: datetime, bulk: bool) -> SafeString:
    """The `<tr>`s of templates/incidents/partials/incident_table.html (my work, the incident list)."""
    tz = timezone.get_current_timezone()
    lab = _escaped({
        "Choose": gettext("Choose"), "Number": gettext("Number"), "Level": gettext("Level"), "Title": gettext("Title"),
        "Status": gettext("Status"), "Organisation": gettext("Organisation"), "Device / CI": gettext("Device / CI"),
        "Assignee": gettext("Assignee"), "Reported": gettext("Reported"), "Next deadline": gettext("Next deadline"),
        **_deadline_labels()})
    choose = gettext("Choose %(number)s")
    levels, statuses = _display("fault_level"), _display("status")
    detail, detail_tail = _url("incidents:detail")
    out = []
    for inc in incidents:
        pk = inc.pk
        number = _e(inc.number)
        href = f"{detail}{pk}{detail_tail}"
        row = f'\n    <tr data-due-row data-due-state="{due_state(inc, now)}">\n      '
        if bulk:
            row += (f'<td data-label="{lab["Choose"]}"><input type="checkbox" name="ids" value="{pk}" form="bulk-form"'
                    f' aria-label="{choose % {"number": number}}"></td>')
        org, ci, who = _related(inc)
        row += (
            f'\n      <td data-label="{lab["Number"]}"><a class="mono" href="{href}">{number}</a></td>\n'
            f'      <td data-label="{lab["Level"]}">{_badge(inc, levels)}</td>\n'
            f'      <td data-label="{lab["Title"]}" class="cell-title"><a href="{href}">{_e(inc.title)}</a></td>\n'
            f'      <td data-label="{lab["Status"]}"><span class="status status-{_e(inc.status)}">'
            f"{statuses.get(inc.status) or _e(inc.status)}</span></td>\n"
            f'      <td data-label="{lab["Organisation"]}">{org}</td>\n'
            f'      <td data-label="{lab["Device / CI"]}">{ci}</td>\n'
            f'      <td data-label="{lab["Assignee"]}">{who}</td>\n'
            f'      <td data-label="{lab["Reported"]}" class="nowrap">{_local(inc.reported_at, tz)}</td>\n'
            f'      <td data-label="{lab["Next deadline"]}" class="due-cell">{_due_cell(inc, now, tz, lab)}</td>\n'
            "    </tr>\n  "
        )
        out.append(row)
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
