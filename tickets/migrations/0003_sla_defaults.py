"""Default SLA configuration (DESIGN.md rule 10): the "cn-default" business calendar (Mon–Fri
09:00–12:00 and 13:30–18:00, Asia/Shanghai) with the Chinese public holidays and make-up working
days (调休) that the installed `holidays` package carries as official data (the State Council's
yearly notices; `holidays.China(...).weekend_workdays` holds the make-up days), the default policy
with BRIEF.md's table, and the default escalation chain. Also the system user the SLA sweep acts
as when it closes incidents whose observation period ended. Years without official data are
recorded as unconfirmed (`manage.py sla_calendar_sync --years 2027` refreshes them later)."""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import migrations

H = timedelta(hours=1)
M = timedelta(minutes=1)
# level, target, duration, business days, clock
TARGETS = [
    ("I", "respond", 15 * M, None, "24x7"), ("I", "onsite", 1 * H, None, "24x7"),
    ("I", "restore", 4 * H, None, "24x7"), ("I", "resolve", 24 * H, None, "24x7"),
    ("I", "progress", 1 * H, None, "24x7"), ("I", "report", timedelta(days=3), None, "24x7"),
    ("II", "respond", 30 * M, None, "24x7"), ("II", "onsite", 2 * H, None, "24x7"),
    ("II", "restore", 8 * H, None, "24x7"), ("II", "resolve", 48 * H, None, "24x7"),
    ("II", "progress", 4 * H, None, "24x7"), ("II", "report", timedelta(days=3), None, "24x7"),
    ("III", "respond", 2 * H, None, "business"), ("III", "onsite", 4 * H, None, "business"),
    ("III", "restore", 24 * H, None, "business"), ("III", "resolve", None, 5, "business"),
    ("III", "report", timedelta(days=3), None, "24x7"),
    ("IV", "respond", 4 * H, None, "business"), ("IV", "restore", None, 3, "business"),
    ("IV", "report", timedelta(days=3), None, "24x7"),
]
CHAIN = [(1, "group_lead", ""), (2, "role", "regional_lead"), (3, "role", "manager"), (4, "customer_contact", "")]
FIRST_YEAR = 2024
WEEK = {str(d): ([["09:00", "12:00"], ["13:30", "18:00"]] if d < 5 else []) for d in range(7)}


def seed(apps, schema_editor):
    from tickets.sla_config import _official_years, calendar_sync

    WorkCalendar = apps.get_model("tickets", "WorkCalendar")
    CalendarDay = apps.get_model("tickets", "CalendarDay")
    CalendarYear = apps.get_model("tickets", "CalendarYear")
    SLAPolicy = apps.get_model("tickets", "SLAPolicy")
    SLATarget = apps.get_model("tickets", "SLATarget")
    EscalationStep = apps.get_model("tickets", "EscalationStep")
    User = apps.get_model("accounts", "User")

    calendar, _created = WorkCalendar.objects.get_or_create(
        code="cn-default",
        defaults={"name": "中国工作日 (China working days)", "time_zone": "Asia/Shanghai", "week": WEEK,
                  "makeup_weekday": 0, "holiday_country": "CN"},
    )
    official = sorted(y for y in _official_years("CN") if y >= FIRST_YEAR)
    last = max(official, default=FIRST_YEAR - 1)
    calendar_sync(calendar=calendar, years=[*official, last + 1], day_model=CalendarDay, year_model=CalendarYear)

    if not SLAPolicy.objects.filter(organization__isnull=True, is_active=True).exists():
        policy = SLAPolicy.objects.create(name="默认 SLA (default)", calendar=calendar, warn_thresholds=[50, 75, 90],
                                          observation_days=7, escalation_step=None, is_active=True)
        SLATarget.objects.bulk_create([
            SLATarget(policy=policy, fault_level=level, target=target, duration=duration, business_days=days,
                      clock=clock)
            for level, target, duration, days, clock in TARGETS
        ])
    if not EscalationStep.objects.filter(organization__isnull=True).exists():
        EscalationStep.objects.bulk_create([
            EscalationStep(organization=None, level=level, recipient=recipient, role=role)
            for level, recipient, role in CHAIN
        ])
    if not User.objects.filter(username="opsdesk-system").exists():
        User.objects.create(username="opsdesk-system", name="OpsDesk", role="manager", is_active=True,
                            password=make_password(None))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("tickets", "0002_workcalendar_alter_ticketevent_action_slapolicy_and_more"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
