"""Demo data for a first look: organisations, CMDB, contacts, groups, one login per role and a few
hundred incidents and requests whose history was written through the services, back-dated."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.choices import Role
from accounts.models import Contact, Organization, SupportGroup, User
from accounts.services import contact_create, organization_create, user_create
from cmdb.models import CI, CIClass
from cmdb.services import ci_create
from incidents.choices import LEVEL_MATRIX, CauseCategory
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
from incidents.models import Incident, ObservationItem
from incidents.observation import observation_check_record
from incidents.services import OBSERVATION_PERIOD, incident_create, incident_transition
from tickets.choices import CallOutcome, RequestType
from tickets.models import ServiceRequest
from tickets.services import (
    call_record_create,
    request_create,
    request_transition,
    ticket_comment_add,
    ticket_worklog_add,
)

# code, name, region, address, devices: (class code, how many, name pattern)
ORGANIZATIONS: tuple[tuple[str, str, str, str, tuple[tuple[str, int, str], ...]], ...] = (
    ("city-psb", "市公安局视频监控中心", "城东", "人民路 1 号", (
        ("camera", 12, "路口摄像机-{:02d}"), ("video-platform", 1, "视频监控平台"), ("storage", 2, "视频存储-{:02d}"),
        ("switch", 3, "汇聚交换机-{:02d}"), ("server", 2, "流媒体服务器-{:02d}"), ("ups", 1, "机房 UPS"),
        ("link", 2, "视频专线-{:02d}"),
    )),
    ("gov-dc", "市政务数据中心", "城西", "政务大道 88 号", (
        ("server", 4, "政务云宿主机-{:02d}"), ("vm", 4, "政务服务虚拟机-{:02d}"), ("database", 2, "政务数据库-{:02d}"),
        ("application", 2, "网上办事大厅-{:02d}"), ("service", 1, "统一身份认证服务"), ("firewall", 2, "边界防火墙-{:02d}"),
        ("router", 1, "核心路由器"), ("storage", 1, "集中存储"), ("cooling", 2, "精密空调-{:02d}"), ("link", 1, "政务外网专线"),
    )),
    ("hospital-1", "第一人民医院", "城东", "健康路 9 号", (
        ("pc", 8, "门诊工作站-{:02d}"), ("printer", 4, "收费处打印机-{:02d}"), ("server", 2, "HIS 服务器-{:02d}"),
        ("database", 1, "HIS 数据库"), ("application", 2, "医院信息系统-{:02d}"), ("switch", 2, "楼层交换机-{:02d}"),
        ("ups", 1, "信息中心 UPS"),
    )),
    ("school-1", "市第一中学", "城西", "学府路 3 号", (
        ("pc", 8, "机房电脑-{:02d}"), ("printer", 2, "教务处打印机-{:02d}"), ("camera", 4, "校园摄像机-{:02d}"),
        ("switch", 2, "教学楼交换机-{:02d}"), ("server", 1, "校园网服务器"),
    )),
)

# username, role, name, region of the group they work in (engineers and the lead)
STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("operator", Role.OPERATOR, "王芳", ""),
    ("dispatcher", Role.DISPATCHER, "李强", ""),
    ("engineer1", Role.ENGINEER, "张伟", "城东"),
    ("engineer2", Role.ENGINEER, "刘洋", "城东"),
    ("engineer3", Role.ENGINEER, "陈杰", "城西"),
    ("analyst", Role.ANALYST, "杨敏", ""),
    ("supervisor", Role.SUPERVISOR, "赵静", ""),
    ("lead", Role.REGIONAL_LEAD, "黄磊", "城东"),
    ("manager", Role.MANAGER, "周军", ""),
    ("docadmin", Role.DOC_ADMIN, "吴艳", ""),
)
REGIONS = ("城东", "城西")
LEVEL_INPUT = {level: pair for pair, level in reversed(LEVEL_MATRIX.items())}  # level -> (impact, urgency)
REQUESTS = (
    (RequestType.CONSULTATION, "咨询视频调阅权限开通流程"),
    (RequestType.SERVICE_REQUEST, "新增 3 台门诊工作站接入内网"),
    (RequestType.SERVICE_REQUEST, "申请开通 VPN 账号"),
    (RequestType.COMPLAINT, "故障处理不及时，工程师迟到"),
    (RequestType.COMPLAINT, "同一摄像机一个月内多次故障"),
    (RequestType.TRAINING, "新版办事大厅操作培训"),
    (RequestType.CONSULTATION, "打印机耗材更换周期咨询"),
    (RequestType.SERVICE_REQUEST, "机房巡检报告补发"),
)


@dataclass
class Cast:
    users: dict[str, User]
    orgs: list[Organization]
    customers: dict[int, User]
    groups: dict[str, SupportGroup]
    cis: dict[int, list[CI]] = field(default_factory=dict)
    contacts: dict[int, list[Contact]] = field(default_factory=dict)
    auditor: User | None = None


class Command(BaseCommand):
    help = (
        "Create demo data: organisations, CIs, contacts, support groups, one login per role (printed, one "
        "password) and a few hundred back-dated incidents and requests written through the services. "
        "Idempotent: what exists already is kept, tickets are only added once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, default=300)
        parser.add_argument("--days", type=int, default=120, help="spread incidents over this many days")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **opts: Any) -> None:
        now = timezone.now()
        rng = random.Random(opts["seed"])
        with transaction.atomic():
            cast = self.reference_data()
            if Incident.objects.filter(organization__in=cast.orgs).exists():
                self.stdout.write("Demo tickets exist already: nothing added.")
            else:
                made = self.incidents(cast, rng=rng, now=now, count=opts["incidents"], days=opts["days"])
                requests = self.requests(cast, rng=rng, now=now)
                calls = self.calls(cast, rng=rng, now=now)
                self.stdout.write(f"Created {made} incidents, {requests} service requests, {calls} calls.")
        # Higher apps (problems, changes, spares, documents, reports, …) add their demo data through
        # settings.DEMO_SEEDERS: dotted paths of `seed(*, now, stdout) -> None`, each idempotent.
        for path in settings.DEMO_SEEDERS:
            with transaction.atomic():
                import_string(path)(now=now, stdout=self.stdout)
        self.print_logins(cast)

    # --- reference data ---------------------------------------------------------------------

    def reference_data(self) -> Cast:
        classes = ci_classes_ensure()
        users: dict[str, User] = {}
        for username, role, name, _region in STAFF:
            users[username] = self.user(username=username, role=role, name=name)
        users["admin"] = self.user(username="admin", role=Role.MANAGER, name="系统管理员", is_superuser=True)
        groups: dict[str, SupportGroup] = {}
        for region in REGIONS:
            group, _ = SupportGroup.objects.get_or_create(name=f"{region}运维组", defaults={"region": region})
            groups[region] = group
        for username, role, _name, region in STAFF:
            if region and role == Role.ENGINEER:
                groups[region].members.add(users[username])
            if region and role == Role.REGIONAL_LEAD and groups[region].lead_id is None:
                SupportGroup.objects.filter(pk=groups[region].pk).update(lead=users[username])
        orgs: list[Organization] = []
        customers: dict[int, User] = {}
        cast = Cast(users=users, orgs=orgs, customers=customers, groups=groups)
        for index, (code, name, _region, address, devices) in enumerate(ORGANIZATIONS):
            org = Organization.objects.filter(code=code).first() or organization_create(
                name=name, code=code, phone=f"0571-8700{index:04d}", address=address, hotline="400-800-7000")
            orgs.append(org)
            customers[org.pk] = self.user(username=f"{code}-user", role=Role.CUSTOMER, name=f"{name}用户",
                                          organization=org)
            if index == 0:  # the auditor (监理) of the first organisation: read-only, its raw records
                cast.auditor = self.user(username=f"{code}-auditor", role=Role.AUDITOR, name=f"{name}监理",
                                         organization=org)
            cast.cis[org.pk] = self.cis(org, devices, classes)
            contacts = list(Contact.objects.filter(organization=org).order_by("pk"))
            for n in range(len(contacts), 4):
                contacts.append(contact_create(
                    organization=org, name=person_name(index * 7 + n + 3), phone=mobile(index * 100 + n, "138"),
                    title=("信息科科长", "值班员", "设备管理员", "分管领导")[n]))
            cast.contacts[org.pk] = contacts
        return cast

    def user(self, *, username: str, role: str, name: str, organization: Organization | None = None,
             is_superuser: bool = False) -> User:
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            return existing
        return user_create(username=username, password=DEMO_PASSWORD, role=role, name=name,
                           email=f"{username}@example.com", phone=mobile(len(username) * 7919 + ord(username[0])),
                           organization=organization, is_superuser=is_superuser)

    def cis(self, org: Organization, devices: tuple[tuple[str, int, str], ...],
            classes: dict[str, CIClass]) -> list[CI]:
        existing = {ci.name: ci for ci in CI.objects.filter(organization=org)}
        out: list[CI] = []
        serial = 0
        for code, count, pattern in devices:
            for n in range(1, count + 1):
                serial += 1
                name = pattern.format(n)
                ci = existing.get(name) or ci_create(
                    name=name, ci_class=classes[code], organization=org, location=f"{org.address} {1 + n % 5}楼",
                    serial=f"{org.code.upper()}-{serial:04d}", vendor=VENDORS.get(code, ("",))[n % len(VENDORS.get(code, ("",)))],
                )
                out.append(ci)
        return out

    # --- tickets ----------------------------------------------------------------------------

    def incidents(self, cast: Cast, *, rng: random.Random, now: datetime, count: int, days: int) -> int:
        u = cast.users
        engineers = {region: [u[name] for name, role, _n, r in STAFF if role == Role.ENGINEER and r == region]
                     for region in REGIONS}
        region_of = {code: region for code, _n, region, _a, _d in ORGANIZATIONS}
        for i in range(count):
            # Older incidents are finished; the last ten days hold the open work.
            age = timedelta(minutes=rng.randrange(days * 24 * 60)) if i % 5 else timedelta(
                minutes=rng.randrange(10 * 24 * 60))
            reported = now - age
            org = cast.orgs[rng.randrange(len(cast.orgs))]
            level = rng.choices(("I", "II", "III", "IV"), (3, 10, 40, 47))[0]
            impact, urgency = LEVEL_INPUT[level]
            ci = rng.choice(cast.cis[org.pk])
            fault = rng.choice(FAULTS.get(ci.ci_class.code, ("故障",)))
            region = region_of[org.code]
            engineer = rng.choice(engineers[region])
            clock = Clock(reported, now, rng)
            inc = incident_create(
                actor=cast.customers[org.pk] if rng.random() < 0.15 else u["operator"], organization=org,
                title=f"{ci.name}{fault}", description=f"{rng.choice(cast.contacts[org.pk]).name}来电反映：{ci.name}{fault}。",
                impact=impact, urgency=urgency, contact=rng.choice(cast.contacts[org.pk]), ci=ci,
                channel=rng.choice(("phone", "phone", "phone", "portal", "monitoring", "email")),
                reported_at=reported, now=reported,
            )
            target = self.target_status(rng, age)
            self.walk(inc, target=target, cast=cast, engineer=engineer, group=cast.groups[region], clock=clock,
                      rng=rng, level=level)
        return count

    @staticmethod
    def target_status(rng: random.Random, age: timedelta) -> str:
        if age > timedelta(days=12):
            return rng.choices(("closed", "cancelled", "observing", "closed_reopened"), (85, 7, 3, 5))[0]
        return rng.choices(("new", "assigned", "in_progress", "pending", "resolved", "observing", "cancelled"),
                           (12, 14, 30, 10, 14, 14, 6))[0]

    def walk(self, inc: Incident, *, target: str, cast: Cast, engineer: User, group: SupportGroup, clock: Clock,
             rng: random.Random, level: str) -> None:
        u = cast.users
        customer = cast.customers[inc.organization_id]

        def act(actor: User, action: str, minutes: tuple[int, int], **payload: Any) -> bool:
            when = clock.at(rng.randrange(*minutes))
            if when is None:
                return False
            incident_transition(incident_id=inc.pk, actor=actor, action=action, payload=payload, now=when)
            return True

        if target == "new":
            return
        if target == "cancelled":
            act(u["operator"], "cancel", (5, 120), reason=rng.choice(("重复报障", "客户已自行恢复", "误报")))
            return
        fast = level in ("I", "II")
        if not act(u["dispatcher"], "assign", (3, 20) if fast else (10, 90), assignee=engineer.pk, group=group.pk):
            return
        if target == "assigned" or not act(engineer, "accept", (5, 30) if fast else (20, 180)):
            return
        if level != "IV" and rng.random() < 0.8:
            act(engineer, "arrive", (30, 90) if fast else (60, 300))
        if level == "I":
            when = clock.at(rng.randrange(40, 60))
            if when:
                ticket_comment_add(ticket=inc, author=u["lead"], body="重大故障：已通知区域主管，每小时通报进展。",
                                   public=False, now=when)
        if rng.random() < 0.35:
            when = clock.at(rng.randrange(10, 60))
            if when:
                ticket_comment_add(ticket=inc, author=engineer, body="已到场排查，正在定位原因。", public=True, now=when)
        if target == "pending" or rng.random() < 0.1:
            if not act(engineer, "pend", (20, 120), reason="等待客户确认停机窗口") or target == "pending":
                return
            if not act(engineer, "resume", (60, 1440)):
                return
        if target == "in_progress":
            if rng.random() < 0.4:
                act(engineer, "restore", (30, 240), workaround=rng.choice(WORKAROUNDS))
            return
        when = clock.at(rng.randrange(30, 600))
        if when is None:
            return
        ticket_worklog_add(ticket=inc, author=engineer, minutes=rng.randrange(20, 240),
                           note="排查并处理故障，测试业务正常。", work_date=None, now=when)
        if not act(engineer, "resolve", (5, 60), cause_category=rng.choice(CauseCategory.values),
                   resolution=rng.choice(RESOLUTIONS)):
            return
        if target == "resolved":
            return
        confirmer = customer if rng.random() < 0.4 else u["operator"]
        if not act(confirmer, "observe", (30, 1440)):
            return
        if target == "closed_reopened":
            if not act(customer, "reopen", (600, 4000), reason="故障复发"):
                return
            if not act(engineer, "resolve", (60, 600), cause_category=CauseCategory.HARDWARE, resolution="更换主板后恢复"):
                return
            if not act(u["operator"], "observe", (30, 600)):
                return
        if target in ("closed", "closed_reopened"):
            # Watched for the observation period: the supervisor ticks the checklist, then it is closed.
            minutes = int(OBSERVATION_PERIOD.total_seconds() // 60)
            when = clock.at(rng.randrange(minutes - 600, minutes - 60))
            if when is None:
                return
            for item in ObservationItem.objects.filter(is_active=True):
                observation_check_record(incident_id=inc.pk, item_id=item.pk, actor=u["supervisor"], result="ok",
                                         note="", now=when)
            act(rng.choice((u["operator"], u["supervisor"])), "close", (60, 600))

    def requests(self, cast: Cast, *, rng: random.Random, now: datetime) -> int:
        u = cast.users
        made = 0
        for round_ in range(3):
            for index, (request_type, title) in enumerate(REQUESTS):
                org = cast.orgs[(index + round_) % len(cast.orgs)]
                clock = Clock(now - timedelta(days=rng.randrange(1, 100), minutes=rng.randrange(600)), now, rng)
                actor = cast.customers[org.pk] if rng.random() < 0.4 else u["operator"]
                req = request_create(actor=actor, organization=org, title=title, request_type=request_type,
                                     description=f"{title}。", contact=cast.contacts[org.pk][0],
                                     channel="portal" if actor.is_customer else "phone", now=clock.current)
                made += 1
                steps: list[tuple[User, str, dict[str, Any]]] = [
                    (u["supervisor"] if request_type == RequestType.COMPLAINT else u["dispatcher"], "assign",
                     {"assignee": (u["supervisor"] if request_type == RequestType.COMPLAINT else u["engineer1"]).pk}),
                    (u["supervisor"] if request_type == RequestType.COMPLAINT else u["engineer1"], "accept", {}),
                    (u["supervisor"] if request_type == RequestType.COMPLAINT else u["engineer1"], "resolve",
                     {"resolution": "已回访客户并处理完毕。"}),
                    (cast.customers[org.pk], "close", {}),
                ]
                for actor, action, payload in steps[: rng.randrange(len(steps) + 1)]:
                    when = clock.at(rng.randrange(30, 600))
                    if when is None:
                        break
                    request_transition(request_id=req.pk, actor=actor, action=action, payload=payload, now=when)
                if request_type == RequestType.COMPLAINT:
                    when = clock.at(rng.randrange(10, 120))
                    if when:
                        ticket_comment_add(ticket=ServiceRequest.objects.get(pk=req.pk), author=u["supervisor"],
                                           body="已电话回访，客户表示理解。", public=True, now=when)
        return made

    def calls(self, cast: Cast, *, rng: random.Random, now: datetime) -> int:
        made = 0
        incidents = list(Incident.objects.filter(organization__in=cast.orgs, channel="phone")
                         .select_related("contact").order_by("-reported_at")[:40])
        for inc in incidents:
            call_record_create(operator=cast.users["operator"], received_at=inc.reported_at,
                               caller_phone=inc.contact.phone if inc.contact else "", outcome=CallOutcome.ANSWERED,
                               contact=inc.contact, organization=inc.organization, ticket=inc,
                               note="来电报障", now=inc.reported_at + timedelta(minutes=2))
            made += 1
        for n in range(6):
            org = cast.orgs[n % len(cast.orgs)]
            contact = cast.contacts[org.pk][n % 4]
            when = now - timedelta(days=rng.randrange(1, 60), minutes=rng.randrange(1440))
            call_record_create(operator=None, received_at=when, caller_phone=contact.phone,
                               outcome=CallOutcome.MISSED, contact=contact, note="未接来电，已回拨", now=when)
            made += 1
        return made

    def print_logins(self, cast: Cast) -> None:
        rows = [(name, role, "") for name, role, _n, _r in STAFF]
        rows += [(c.username, Role.CUSTOMER, c.organization.name if c.organization else "")
                 for c in cast.customers.values()]
        if cast.auditor is not None:
            rows.append((cast.auditor.username, Role.AUDITOR,
                         cast.auditor.organization.name if cast.auditor.organization else ""))
        rows.append(("admin", "superuser", ""))
        self.stdout.write("")
        self.stdout.write(f"{'username':<18} {'role':<15} {'password':<20} organisation")
        self.stdout.write("-" * 72)
        for username, role, org in rows:
            self.stdout.write(f"{username:<18} {role!s:<15} {DEMO_PASSWORD:<20} {org}")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(
            "Sign in with any of these at the web address (scripts/run prints it); admin: /admin/, API: /api/docs/."))


class Clock:
    """Moves forward from the report time in random steps, never past the real now."""

    def __init__(self, start: datetime, limit: datetime, rng: random.Random) -> None:
        self.current = start
        self.limit = limit
        self.rng = rng

    def at(self, minutes: int) -> datetime | None:
        nxt = self.current + timedelta(minutes=minutes, seconds=self.rng.randrange(60))
        if nxt > self.limit:
            return None
        self.current = nxt
        return nxt
