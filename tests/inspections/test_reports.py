"""The reports print their inspection sections from the rounds: the monthly inspection report, the
proactive-service report (ST.FO05-92), the quarterly report and the service summary — figures in
the context and in the PDF's text, nothing of another organisation."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from inspections.models import ChecklistItem, InspectionRound
from inspections.services import answer_record, round_transition, rounds_generate
from reports.pdf import render_pdf
from reports.registry import kind_get
from tests.factories import CIFactory, OrganizationFactory
from tests.reports_kinds.conftest import pdf_text, report_input

from .conftest import at


@pytest.fixture
def month(make_plan, cameras, eng, org):
    plan = make_plan("monthly-system", cis=cameras[:2])
    other_org = OrganizationFactory(name="Other bureau", code="other")
    make_plan("weekly-spot-check", organization=other_org, frequency="weekly", group=None,
              cis=[CIFactory(organization=other_org, name="OTHER-CAM")])
    rounds_generate(now=at(2026, 11, 2), until=date(2026, 11, 30))
    ticket = InspectionRound.objects.get(plan=plan, period_start=date(2026, 11, 1))
    items = list(ChecklistItem.objects.filter(template=plan.template).order_by("position"))
    for ci in cameras[:2]:
        for item in items:
            data = {"uuid": str(uuid.uuid4()), "ci": ci.pk, "item": item.pk, "passed": True, "reading": "20",
                    "text": "正常"}
            if ci == cameras[1] and item.position == 2:
                data["reading"] = "45"  # too hot: a finding
            answer_record(round_id=ticket.pk, actor=eng, data=data, now=at(2026, 11, 3))
    round_transition(round_id=ticket.pk, actor=eng, action="complete", now=at(2026, 11, 3, 16))
    return {"org": org, "ticket": ticket, "other": other_org}


def test_monthly_inspection_report(month, tmp_path):
    kind = kind_get("monthly_inspection")
    ctx = kind.build(report_input(organization=month["org"], period="2026-11", now=at(2026, 12, 1)))
    r = ctx["rounds"]
    assert (r["rounds"], r["done"], r["findings"], r["incidents"], r["cis"], r["completion"]) == (1, 1, 1, 1, 2, 100)
    assert r["finding_rows"][0]["ci"] == "CAM-01" and r["finding_rows"][0]["value"] == "45 °C"
    assert all(len(row) == len(t.headers) for t in kind.tables(ctx) for row in t.rows)
    flat = re.sub(r"\s+", " ", pdf_text(render_pdf(template=kind.template, context=ctx, language="zh-hans"), tmp_path))
    assert "系统和关键设备月度巡检" in flat and "系统巡检报告" in flat and month["ticket"].number in flat
    assert "OTHER-CAM" not in flat


@pytest.mark.parametrize(("code", "period"), [("proactive_service", "2026-11"), ("quarterly_management", "2026-Q4"),
                                              ("service_summary", "2026-11")])
def test_existing_reports_print_the_inspection_section(month, tmp_path, code, period):
    kind = kind_get(code)
    ctx = kind.build(report_input(organization=month["org"], period=period, now=at(2026, 12, 1)))
    assert ctx["rounds"]["rounds"] == 1 and ctx["rounds"]["findings"] == 1
    assert any(str(t.title) == "Inspection rounds" for t in kind.tables(ctx))
    flat = re.sub(r"\s+", " ", pdf_text(render_pdf(template=kind.template, context=ctx, language="en"), tmp_path))
    assert ("Inspection rounds scheduled: 1, done: 1, overdue: 0; defects found: 1, incidents opened or joined: 1."
            in flat)
    assert "Monthly system" in flat and "System inspection" in flat  # the checklist and its record form
