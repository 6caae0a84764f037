"""Due dates by severity in working days over Chinese holidays, decisions (fix, accept with a reason
by a manager, false positive, reopen), stale versions, and the overdue escalation sent once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Notification
from opsdesk.errors import ConflictError
from security.choices import FindingStatus
from security.models import Finding, FindingEvent, SecurityPolicy
from security.services import (
    finding_due,
    finding_transition,
    findings_escalate_overdue,
    scan_import_apply,
    scan_import_preview,
)
from security.tasks import findings_escalate_task

from .conftest import at, fixture_bytes


def test_due_dates_count_working_days_over_national_day(db, org_a):
    policy = SecurityPolicy.current()
    policy.critical_days, policy.high_days = 1, 3
    policy.save()
    # Found on 30 September: 1–7 October are holidays, Saturday 10 October is a make-up working day.
    assert finding_due(organization_id=org_a.pk, found=at(2026, 9, 30), severity="critical") == date(2026, 10, 8)
    assert finding_due(organization_id=org_a.pk, found=at(2026, 10, 8), severity="high") == date(2026, 10, 12)
    # Late evening UTC is already the next day in Shanghai: the day counts in the calendar's zone.
    late_utc = datetime(2026, 9, 29, 23, 30, tzinfo=UTC)
    assert finding_due(organization_id=org_a.pk, found=late_utc, severity="critical") == date(2026, 10, 8)


def test_imported_findings_get_their_due_dates(db, hosts, org_a, engineer):
    policy = SecurityPolicy.current()
    policy.critical_days, policy.medium_days = 2, 5
    policy.save()
    scan = scan_import_preview(organization=org_a, content=fixture_bytes("openvas-report.xml"), filename="r.xml",
                               full_scan=False, actor=engineer, now=at(2026, 10, 9))
    scan_import_apply(import_id=scan.pk, actor=engineer, now=at(2026, 10, 9))
    # The scan ran on 30 September (10:00 in Shanghai): critical 2 working days → 9 Oct, medium 5 → 13 Oct.
    assert Finding.objects.get(port="22/tcp").due_on == date(2026, 10, 9)
    assert Finding.objects.get(port="443/tcp").due_on == date(2026, 10, 13)


@pytest.fixture
def finding(db, hosts, org_a, engineer):
    scan = scan_import_preview(organization=org_a, content=fixture_bytes("generic.csv"), filename="g.csv",
                               full_scan=False, actor=engineer, now=at(2026, 10, 9))
    scan_import_apply(import_id=scan.pk, actor=engineer, now=at(2026, 10, 9))
    return Finding.objects.get(vuln_id="CVE-2021-44228")


def test_accepting_a_risk_needs_a_reason_and_a_manager(finding, engineer, manager):
    with pytest.raises(ValidationError) as exc:
        finding_transition(finding_id=finding.pk, action="accept", actor=manager, now=at(2026, 10, 10))
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        finding_transition(finding_id=finding.pk, action="accept", actor=engineer, now=at(2026, 10, 10),
                           reason="isolated network")
    done = finding_transition(finding_id=finding.pk, action="accept", actor=manager, now=at(2026, 10, 10),
                              reason="Isolated network segment; replaced in Q1", version=finding.version)
    assert (done.status, done.decided_by, done.reason) == (FindingStatus.ACCEPTED, manager,
                                                           "Isolated network segment; replaced in Q1")
    with pytest.raises(ConflictError):
        finding_transition(finding_id=finding.pk, action="reopen", actor=engineer, now=at(2026, 10, 11),
                           version=finding.version)
    with pytest.raises(ValidationError):
        finding_transition(finding_id=finding.pk, action="fix", actor=engineer, now=at(2026, 10, 11))
    reopened = finding_transition(finding_id=finding.pk, action="reopen", actor=engineer, now=at(2026, 10, 11))
    assert reopened.status == FindingStatus.OPEN and reopened.reopened == 1
    assert list(FindingEvent.objects.filter(finding=finding).order_by("id").values_list("action", flat=True)) == [
        "created", "accept", "reopen"]


def test_false_positive_needs_a_reason(finding, engineer):
    with pytest.raises(ValidationError):
        finding_transition(finding_id=finding.pk, action="false_positive", actor=engineer, now=at(2026, 10, 10))
    fp = finding_transition(finding_id=finding.pk, action="false_positive", actor=engineer, now=at(2026, 10, 10),
                            reason="Log4j is not on the class path")
    assert fp.status == FindingStatus.FALSE_POSITIVE


def test_overdue_finding_escalates_once(finding, manager, engineer):
    assert findings_escalate_overdue(now=at(2026, 10, 9, 12)) == 0  # not due yet
    late = at(2026, 12, 1)
    assert findings_escalate_overdue(now=late) == 2  # both critical findings of the file
    assert findings_escalate_overdue(now=late) == 0
    assert findings_escalate_task.apply().get() == 0  # the beat task: the same sweep, nothing left
    notes = Notification.objects.filter(user=manager)
    assert notes.count() == 2 and all(n.link.startswith("/security/findings/") for n in notes)
    assert any("Log4Shell" in n.title for n in notes)
    finding.refresh_from_db()
    assert finding.escalated_at == late
    # Fixed findings are never escalated; a reopened one may escalate again once.
    finding_transition(finding_id=finding.pk, action="fix", actor=engineer, now=late)
    finding_transition(finding_id=finding.pk, action="reopen", actor=engineer, now=late)
    assert findings_escalate_overdue(now=at(2027, 3, 1)) == 1
