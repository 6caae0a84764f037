"""Synthetic volume for benchmarks: organisations, CIs, contacts, engineers and up to millions of
incidents, loaded with COPY on PostgreSQL (bulk_create elsewhere).

The incidents are written directly, not through `incident_create`/`incident_transition`: they carry
no events (audit_seq 0, an empty chain that verifies), but every column the API reads is filled
consistently with the status (times, assignee and group, SLA deadlines, resolution)."""

from __future__ import annotations

import bisect
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Contact, Organization, SupportGroup, User
from cmdb.models import CI
from incidents.choices import CauseCategory
from incidents.management.seed_data import (
    DEMO_PASSWORD,
    FAULTS,
    RESOLUTIONS,
    VENDORS,
    WORKAROUNDS,
    ci_classes_ensure,
    mobile,
    person_name,
)
from incidents.models import Incident
from incidents.services import OBSERVATION_PERIOD, sla_calendar
from tickets.numbering import allocate_numbers
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.deadlines import DEFAULT_BUSINESS_DAYS, DEFAULT_TARGETS

COLUMNS: tuple[str, ...] = (
    "number", "title", "description", "channel", "reported_at", "responded_at", "resolved_at", "closed_at",
    "created_at", "updated_at", "version", "audit_seq", "audit_head", "status", "fault_level", "impact", "urgency",
    "level_reason", "onsite_at", "restored_at", "workaround", "cause_category", "resolution", "cancel_reason",
    "reopen_count", "observation_until", "respond_due", "onsite_due", "restore_due", "resolve_due", "sla_paused_at",
    "escalation_level", "assignee_id", "ci_id", "contact_id", "created_by_id", "group_id", "organization_id",
)
TIME_COLUMNS = frozenset({
    "reported_at", "responded_at", "resolved_at", "closed_at", "created_at", "updated_at", "onsite_at",
    "restored_at", "observation_until", "respond_due", "onsite_due", "restore_due", "resolve_due", "sla_paused_at",
})

REGIONS = ("东城区", "西城区", "南湖区", "北山区", "高新区", "经开区", "滨江区", "城北区", "城南区", "临港区")
ORG_KINDS = ("公安分局", "政务服务中心", "人民医院", "中学", "交通运输局", "水务集团", "税务局", "街道办事处")
# Where the devices are: many cameras, PCs and printers, few core systems.
CI_CLASS_WEIGHTS = {
    "camera": 30, "pc": 20, "printer": 8, "switch": 8, "server": 6, "ups": 4, "cooling": 2, "link": 5, "router": 2,
    "firewall": 2, "storage": 2, "video-platform": 2, "vm": 4, "database": 2, "application": 2, "service": 1,
}
CHANNELS = (("phone", 0.55), ("monitoring", 0.70), ("portal", 0.85), ("email", 0.90), ("api", 0.95), ("inspection", 1.0))
OPEN_MIX = (("new", 0.12), ("assigned", 0.25), ("in_progress", 0.60), ("pending", 0.70), ("resolved", 0.82),
            ("observing", 1.0))
LEVEL_IMPACT = {"I": ("high", "high"), "II": ("high", "medium"), "III": ("medium", "medium"), "IV": ("low", "low")}
RESPOND_S = {"I": 900, "II": 1800, "III": 7200, "IV": 14400}
RESTORE_S = {"I": 4 * 3600, "II": 8 * 3600, "III": 24 * 3600, "IV": 72 * 3600}
CAUSES = tuple(c for c in CauseCategory.values if c != "unknown")
CANCEL_REASONS = ("重复报障", "客户自行恢复", "误报")
DAY = 86400
OPEN_WINDOW_DAYS = 45  # open incidents are recent; older ones are closed or cancelled
SETTLED_DAYS = 14  # closed incidents went through the 7-day observation, so they are older than this


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class FastDeadlines:
    """`deadlines_compute` with the default targets, for millions of start times.

    The pure calendar walks day by day (tens of µs a call); here the calendar's working periods
    over the load's whole time range are laid out once as epoch seconds with a running total of
    business time, so adding business time is two binary searches. Same rules as
    `BusinessCalendar.add`/`add_days` (a deadline that lands on a period's end stays there);
    tests/test_seed.py checks it against `deadlines_compute`."""

    def __init__(self, calendar: BusinessCalendar, *, first: datetime, last: datetime) -> None:
        tz = calendar.tz
        self.tz = tz
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cum_end: list[int] = []
        self.day_length: dict[date, int] = {}
        total = 0
        day = first.astimezone(tz).date() - timedelta(days=1)
        stop = last.astimezone(tz).date() + timedelta(days=60)
        while day <= stop:
            length = 0
            for a, b in calendar.periods_on(day):
                start = int(datetime.combine(day, a, tz).timestamp())
                end = int(datetime.combine(day, b, tz).timestamp())
                self.starts.append(start)
                self.ends.append(end)
                total += end - start
                length += end - start
                self.cum_end.append(total)
            self.day_length[day] = length
            day += timedelta(days=1)
        self.targets = {
            level: tuple(None if d is None else int(d.total_seconds())
                         for d in (t.respond, t.onsite, t.restore, t.resolve))
            for level, t in DEFAULT_TARGETS.items()
        }
        self.business = {level: t.business_hours for level, t in DEFAULT_TARGETS.items()}

    def _business_before(self, t: int) -> int:
        """Business seconds from the layout's origin up to instant t."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        before = self.cum_end[i - 1] if i else 0
        return before + min(t, self.ends[i]) - self.starts[i]

    def add(self, t: int, seconds: int) -> int:
        target = self._business_before(t) + seconds
        j = bisect.bisect_left(self.cum_end, target)
        if j >= len(self.cum_end):
            raise ValueError("deadline beyond the laid-out calendar")
        before = self.cum_end[j - 1] if j else 0
        return max(t, self.starts[j] + target - before)

    def add_days(self, t: int, days: int) -> int:
        day = datetime.fromtimestamp(t, self.tz).date()
        while not self.day_length.get(day, 0):
            day += timedelta(days=1)
        return self.add(t, self.day_length[day] * days)

    def get(self, level: str, start: int) -> tuple[int | None, ...]:
        days = DEFAULT_BUSINESS_DAYS.get(level, {})
        out: list[int | None] = []
        for name, seconds in zip(("respond", "onsite", "restore", "resolve"), self.targets[level], strict=True):
            if name in days:
                out.append(self.add_days(start, days[name]))
            elif seconds is None:
                out.append(None)
            elif self.business[level]:
                out.append(self.add(start, seconds))
            else:
                out.append(start + seconds)
        return tuple(out)


@dataclass
class OrgData:
    org_id: int
    region: int
    ci_ids: list[int]
    ci_titles: list[tuple[str, ...]]  # per CI: the fault titles for that device
    contact_ids: list[int]


@dataclass
class Reference:
    orgs: list[OrgData]
    org_cumweights: list[float]
    engineers_by_region: list[list[int]]
    group_by_region: list[int]
    operator_id: int
    logins: list[tuple[str, str]]


class IncidentGenerator:
    """Yields incident rows (tuples in COLUMNS order; times as epoch seconds)."""

    def __init__(self, *, ref: Reference, now: datetime, years: float, seed: int) -> None:
        self.ref = ref
        self.rng = random.Random(seed)
        self.now = int(now.timestamp())
        self.start = self.now - int(years * 365 * DAY)
        self.settled_end = self.now - SETTLED_DAYS * DAY
        self.open_start = max(self.start, self.now - OPEN_WINDOW_DAYS * DAY)
        self.deadlines = FastDeadlines(sla_calendar(), first=datetime.fromtimestamp(self.start, UTC), last=now)
        offset = now.astimezone(timezone.get_current_timezone()).utcoffset()
        self.tz_offset = int(offset.total_seconds()) if offset else 0

    def _reported(self, lo: int, hi: int) -> int:
        rng = self.rng
        # Three quarters of calls come in during the working day (08:00–18:00 local time).
        day = (lo + self.tz_offset) // DAY + rng.randrange(max(1, (hi - lo) // DAY))
        if rng.random() < 0.75:
            seconds = 8 * 3600 + rng.randrange(10 * 3600)
        else:
            seconds = rng.randrange(DAY)
        value = day * DAY + seconds - self.tz_offset
        return min(max(value, lo), hi)

    def rows(self, count: int, numbers: list[str]) -> Iterator[tuple[Any, ...]]:
        rng, ref, now = self.rng, self.ref, self.now
        for i in range(count):
            x = rng.random()
            level = "I" if x < 0.02 else "II" if x < 0.10 else "III" if x < 0.50 else "IV"
            org = ref.orgs[bisect.bisect_left(ref.org_cumweights, rng.random() * ref.org_cumweights[-1])]
            x = rng.random()
            if x < 0.10:
                y = rng.random()
                status = next(s for s, p in OPEN_MIX if y <= p)
                reported = self._reported(self.open_start, now - 600)
            else:
                status = "cancelled" if x < 0.15 else "closed"
                reported = self._reported(self.start, self.settled_end)
            ci_index = rng.randrange(len(org.ci_ids)) if org.ci_ids else -1
            ci_id = org.ci_ids[ci_index] if ci_index >= 0 and rng.random() < 0.92 else None
            faults = org.ci_titles[ci_index] if ci_index >= 0 else ("设备故障",)
            title = faults[rng.randrange(len(faults))]
            contact_id = org.contact_ids[rng.randrange(len(org.contact_ids))] if org.contact_ids else None
            x = rng.random()
            channel = next(c for c, p in CHANNELS if x <= p)
            impact, urgency = LEVEL_IMPACT[level]
            respond_due, onsite_due, restore_due, resolve_due = self.deadlines.get(level, reported)
            engineers = ref.engineers_by_region[org.region]
            assignee: int | None = engineers[rng.randrange(len(engineers))]
            group: int | None = ref.group_by_region[org.region]
            responded = onsite = restored = resolved = closed = observation = paused = None
            cause = resolution = workaround = cancel_reason = ""
            version = 1
            if status == "new":
                assignee = group = None
            elif status == "assigned":
                version = 2
                if rng.random() < 0.5:
                    assignee = None
            elif status == "cancelled":
                closed = reported + 600 + rng.randrange(2 * DAY)
                cancel_reason = CANCEL_REASONS[rng.randrange(len(CANCEL_REASONS))]
                version = 2
                if rng.random() < 0.6:
                    assignee = group = None
            else:
                responded = reported + int(RESPOND_S[level] * (0.2 + rng.random() * 1.3))
                after = responded
                if level != "IV" or rng.random() < 0.3:
                    onsite = after = responded + 600 + rng.randrange(3 * 3600)
                version = 3
                progressed = status in ("resolved", "observing", "closed")
                if progressed or rng.random() < 0.3:
                    restored = after = after + 1800 + rng.randrange(RESTORE_S[level])
                    workaround = WORKAROUNDS[rng.randrange(len(WORKAROUNDS))] if rng.random() < 0.3 else ""
                if status == "pending":
                    paused = after + 600
                if progressed:
                    resolved = after + rng.randrange(DAY)
                    cause = CAUSES[rng.randrange(len(CAUSES))]
                    resolution = RESOLUTIONS[rng.randrange(len(RESOLUTIONS))]
                    version = 5
                if status in ("observing", "closed"):
                    observation = (resolved or after) + int(OBSERVATION_PERIOD.total_seconds())
                    version = 6
                if status == "closed":
                    closed = (observation or after) + rng.randrange(7200)
                    version = 7
                # Open incidents are recent: keep every stamp in the past.
                responded, onsite, restored, resolved, paused = (
                    min(v, now) if v is not None else None for v in (responded, onsite, restored, resolved, paused))
            updated = max(v for v in (reported, responded, onsite, restored, resolved, closed, paused) if v is not None)
            yield (
                numbers[i], title, "", channel, reported, responded, resolved, closed,
                reported, updated, version, 0, "", status, level, impact, urgency,
                "", onsite, restored, workaround, cause, resolution, cancel_reason,
                0, observation, respond_due, onsite_due, restore_due, resolve_due, paused,
                1 if (status != "closed" and level in ("I", "II") and rng.random() < 0.2) else 0,
                assignee, ci_id, contact_id, ref.operator_id, group, org.org_id,
            )


class Command(BaseCommand):
    help = (
        "Load synthetic volume for benchmarks: organisations, CIs, contacts, engineers and N incidents "
        "(COPY on PostgreSQL, bulk_create elsewhere). Incidents are written directly, not through the services: "
        "they have no events (an empty history chain, which verifies) but every field the API shows is filled. "
        "Numbers come from tickets.numbering, so later incidents keep getting new unique numbers. Run ANALYZE after."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, default=100_000)
        parser.add_argument("--organizations", type=int, default=50)
        parser.add_argument("--years", type=float, default=3.0, help="spread incidents over this many years")
        parser.add_argument("--batch", type=int, default=50_000, help="rows per transaction")
        parser.add_argument("--cis-per-org", type=int, default=200)
        parser.add_argument("--contacts-per-org", type=int, default=40)
        parser.add_argument("--engineers", type=int, default=0, help="default: 4 per organisation, at least 10")
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: time-based)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["incidents"] < 0 or opts["organizations"] < 1 or opts["batch"] < 1 or opts["years"] <= 0:
            raise CommandError("--incidents >= 0, --organizations >= 1, --batch >= 1 and --years > 0, please.")
        now = timezone.now()
        seed = opts["seed"] if opts["seed"] is not None else int(time.time())
        t0 = time.perf_counter()
        ref = self.reference_data(
            organizations=opts["organizations"], cis_per_org=opts["cis_per_org"],
            contacts_per_org=opts["contacts_per_org"],
            engineers=opts["engineers"] or max(10, 4 * opts["organizations"]), seed=seed,
        )
        self.stdout.write(f"reference data ready in {time.perf_counter() - t0:.1f}s")
        generator = IncidentGenerator(ref=ref, now=now, years=opts["years"], seed=seed)
        write = self.write_copy if connection.vendor == "postgresql" else self.write_orm
        total, batch = opts["incidents"], opts["batch"]
        t1 = time.perf_counter()
        done = 0
        while done < total:
            n = min(batch, total - done)
            with transaction.atomic():
                numbers = allocate_numbers(Incident.NUMBER_PREFIX, n)
                write(generator.rows(n, numbers))
            done += n
            elapsed = time.perf_counter() - t1
            self.stdout.write(f"  {done:>10,} incidents  {elapsed:7.1f}s  {done / elapsed:9,.0f} rows/s")
        load_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        self.analyze()
        self.stdout.write(f"ANALYZE in {time.perf_counter() - t2:.1f}s")
        rate = total / load_s if load_s else 0.0
        self.stdout.write(self.style.SUCCESS(
            f"{total:,} incidents in {load_s:.1f}s ({rate:,.0f} rows/s); {len(ref.orgs)} organisations; "
            f"seed {seed}"))
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for username, role in ref.logins:
            self.stdout.write(f"  {username:<22} {role}")

    # --- writers ----------------------------------------------------------------------------

    def write_copy(self, rows: Iterator[tuple[Any, ...]]) -> None:
        date_cache: dict[int, str] = {}

        def ts(value: int) -> str:
            day, rest = divmod(value, DAY)
            date = date_cache.get(day)
            if date is None:
                date = date_cache[day] = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")
            h, rest = divmod(rest, 3600)
            m, s = divmod(rest, 60)
            return f"{date} {h:02d}:{m:02d}:{s:02d}+00"

        line = _line_formatter(ts)
        sql = f"COPY incidents_incident ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            buffer: list[str] = []
            for row in rows:
                buffer.append(line(row))
                if len(buffer) >= 5000:
                    buffer.append("")
                    copy.write("\n".join(buffer))
                    buffer = []
            if buffer:
                buffer.append("")
                copy.write("\n".join(buffer))

    def write_orm(self, rows: Iterator[tuple[Any, ...]]) -> None:
        objs: list[Incident] = []
        stamps: list[tuple[datetime, datetime]] = []
        for row in rows:
            values = {
                c: (datetime.fromtimestamp(v, UTC) if c in TIME_COLUMNS and v is not None else v)
                for c, v in zip(COLUMNS, row, strict=True)
            }
            stamps.append((values["created_at"], values["updated_at"]))
            objs.append(Incident(**values))
        Incident.objects.bulk_create(objs, batch_size=500)
        # auto_now(_add) stamped the load time; give the rows their own history's times back.
        for obj, (created, updated) in zip(objs, stamps, strict=True):
            obj.created_at, obj.updated_at = created, updated
        Incident.objects.bulk_update(objs, ["created_at", "updated_at"], batch_size=500)

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # VACUUM also sets the visibility map (index-only scans); it cannot run in a transaction.
                verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                for table in ("incidents_incident", "cmdb_ci", "accounts_contact", "accounts_user",
                              "accounts_organization"):
                    cursor.execute(f"{verb} {table}")
            else:
                cursor.execute("ANALYZE")

    # --- reference data ---------------------------------------------------------------------

    def reference_data(self, *, organizations: int, cis_per_org: int, contacts_per_org: int, engineers: int,
                       seed: int) -> Reference:
        rng = random.Random(seed + 1)
        classes = ci_classes_ensure()
        password = make_password(DEMO_PASSWORD)
        with transaction.atomic():
            groups = self._groups()
            staff = self._staff(password=password, engineers=engineers, groups=groups)
            orgs = self._organizations(organizations)
            codes = list(CI_CLASS_WEIGHTS)
            weights = list(CI_CLASS_WEIGHTS.values())
            new_cis: list[CI] = []
            new_contacts: list[Contact] = []
            ci_counts = dict(_count_by_org(CI, [o.pk for o in orgs]))
            contact_counts = dict(_count_by_org(Contact, [o.pk for o in orgs]))
            for org in orgs:
                for n in range(ci_counts.get(org.pk, 0), cis_per_org):
                    code = rng.choices(codes, weights)[0]
                    vendors = VENDORS.get(code, ("",))
                    new_cis.append(CI(
                        name=f"{classes[code].name}-{n + 1:03d}", ci_class=classes[code], organization=org,
                        location=f"{org.name} {1 + n % 12}楼", serial=f"SN{org.pk:03d}{n:05d}",
                        vendor=vendors[n % len(vendors)],
                    ))
                for n in range(contact_counts.get(org.pk, 0), contacts_per_org):
                    new_contacts.append(Contact(
                        organization=org, name=person_name(org.pk * 131 + n), phone=mobile(org.pk * 10_000 + n, "137"),
                    ))
            CI.objects.bulk_create(new_cis, batch_size=2000)
            Contact.objects.bulk_create(new_contacts, batch_size=2000)
        class_code = {c.pk: code for code, c in classes.items()}
        org_data: list[OrgData] = []
        for index, org in enumerate(orgs):
            cis = list(CI.objects.filter(organization=org).values_list("pk", "name", "ci_class_id"))
            org_data.append(OrgData(
                org_id=org.pk, region=index % len(REGIONS), ci_ids=[pk for pk, _n, _c in cis],
                ci_titles=[tuple(_escape(f"{name} {fault}") for fault in FAULTS.get(class_code.get(cls, ""), ("故障",)))
                           for _pk, name, cls in cis],
                contact_ids=list(Contact.objects.filter(organization=org).values_list("pk", flat=True)),
            ))
        # A few large customers and a long tail (Zipf-like).
        cum: list[float] = []
        acc = 0.0
        for index in range(len(org_data)):
            acc += 1.0 / (index + 1) ** 0.8
            cum.append(acc)
        engineers_by_region: list[list[int]] = [[] for _ in REGIONS]
        for index, pk in enumerate(staff["engineers"]):
            engineers_by_region[index % len(REGIONS)].append(pk)
        return Reference(
            orgs=org_data, org_cumweights=cum, engineers_by_region=engineers_by_region,
            group_by_region=[g.pk for g in groups], operator_id=staff["operator"][0], logins=staff["logins"],
        )

    def _groups(self) -> list[SupportGroup]:
        names = [f"{region}运维组（基准）" for region in REGIONS]
        existing = {g.name: g for g in SupportGroup.objects.filter(name__in=names)}
        SupportGroup.objects.bulk_create(
            [SupportGroup(name=n, region=r) for n, r in zip(names, REGIONS, strict=True) if n not in existing])
        by_name = {g.name: g for g in SupportGroup.objects.filter(name__in=names)}
        return [by_name[n] for n in names]

    def _staff(self, *, password: str, engineers: int, groups: list[SupportGroup]) -> dict[str, Any]:
        wanted: list[tuple[str, str, str]] = [
            ("bulk_operator", Role.OPERATOR, "接线员"), ("bulk_dispatcher", Role.DISPATCHER, "派单员"),
            ("bulk_manager", Role.MANAGER, "项目经理"),
        ] + [(f"bulk_engineer_{n:03d}", Role.ENGINEER, f"工程师{n:03d}") for n in range(1, engineers + 1)]
        existing = set(User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", flat=True))
        User.objects.bulk_create([
            User(username=u, role=r, name=f"{person_name(i)}（{label}）", password=password, phone=mobile(i, "136"),
                 email=f"{u}@example.com")
            for i, (u, r, label) in enumerate(wanted) if u not in existing
        ])
        users = {u: (pk, role) for u, pk, role in
                 User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", "pk", "role")}
        role_groups = {g.name: g for g in Group.objects.filter(name__in=[str(r) for r in Role])}
        for role in {r for _u, r, _l in wanted}:
            role_groups.setdefault(str(role), Group.objects.get_or_create(name=str(role))[0])
        membership = User.groups.through
        membership.objects.bulk_create(
            [membership(user_id=pk, group_id=role_groups[str(role)].pk) for pk, role in users.values()],
            ignore_conflicts=True,
        )
        engineer_ids = [users[u][0] for u, r, _l in wanted if r == Role.ENGINEER]
        team = SupportGroup.members.through
        team.objects.bulk_create(
            [team(supportgroup_id=groups[i % len(groups)].pk, user_id=pk) for i, pk in enumerate(engineer_ids)],
            ignore_conflicts=True,
        )
        logins = [(u, str(r)) for u, r, _l in wanted[:4]]
        if engineers > 1:
            logins.append((f"… bulk_engineer_{engineers:03d}", str(Role.ENGINEER)))
        return {"engineers": engineer_ids, "operator": users["bulk_operator"], "logins": logins}

    def _organizations(self, count: int) -> list[Organization]:
        codes = [f"bulk-org-{n:03d}" for n in range(1, count + 1)]
        existing = set(Organization.objects.filter(code__in=codes).values_list("code", flat=True))
        Organization.objects.bulk_create([
            Organization(code=code, name=f"{REGIONS[n % len(REGIONS)]}{ORG_KINDS[n % len(ORG_KINDS)]}{n // 40 + 1:02d}",
                         phone=f"0571-8{n:07d}")
            for n, code in enumerate(codes) if code not in existing
        ])
        by_code = {o.code: o for o in Organization.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes]


# Columns the generator may leave empty (NULL); every other column always has a value.
NULLABLE = frozenset(TIME_COLUMNS - {"reported_at", "created_at", "updated_at"}) | {
    "assignee_id", "ci_id", "contact_id", "group_id"}


def _line_formatter(ts: Callable[[int], str]) -> Callable[[tuple[Any, ...]], str]:
    """One COPY text line per row, from a function compiled for COLUMNS (faster than a generic per-field loop).
    Strings from the generator are already escaped."""
    parts = []
    for i, name in enumerate(COLUMNS):
        value = f"ts(row[{i}])" if name in TIME_COLUMNS else f"row[{i}]"
        parts.append("{" + (f"NULL if row[{i}] is None else {value}" if name in NULLABLE else value) + "}")
    source = "def line(row):\n    return f'" + "\\t".join(parts) + "'\n"
    namespace: dict[str, Any] = {"ts": ts, "NULL": "\\N"}
    exec(compile(source, "<seed_bulk line>", "exec"), namespace)  # noqa: S102 - built from COLUMNS only
    return namespace["line"]  # type: ignore[no-any-return]


def _count_by_org(model: Any, org_ids: list[int]) -> list[tuple[int, int]]:
    from django.db.models import Count

    return list(model.objects.filter(organization_id__in=org_ids).values("organization_id")
                .annotate(n=Count("id")).values_list("organization_id", "n"))

