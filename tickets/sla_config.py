"""SLA configuration as data (DESIGN.md rule 10) → the pure SLA package's inputs.

`policy_for` loads an organisation's policy (its own active one, else the default, else the code
defaults = BRIEF.md's table) with its targets per level and its business calendar, as a
`BusinessCalendar` holding the calendar's dated exceptions around the given instant. Years whose
holidays are not official data are never guessed: the calendar still works (weekly hours plus any
admin days) and `unconfirmed_years` says which years the UI should flag.

`calendar_sync` seeds a calendar's holidays and make-up working days (调休) from the `holidays`
package for the years it has the State Council's notice for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opsdesk.cache_version import cache_version, cache_version_bump

from .choices import CalendarDayKind, CalendarDaySource, ClockKind, SLATargetName
from .models import CalendarDay, CalendarYear, SLAPolicy, WorkCalendar, default_week
from .sla.calendar import BusinessCalendar
from .sla.clock import TargetSpec, from_config
from .sla.deadlines import DEFAULT_BUSINESS_DAYS, DEFAULT_TARGETS

DEFAULT_WARN_THRESHOLDS: tuple[int, ...] = (50, 75, 90)
DEFAULT_OBSERVATION_DAYS = 7
DEFAULT_REPORT_DUE = timedelta(days=3)
DEFAULT_CALENDAR_CODE = "cn-default"
# Dated exceptions are loaded for this window around the instant a policy is needed for; the
# longest default target (5 business days) stays well inside it, even over Spring Festival.
WINDOW_BEFORE = timedelta(days=60)
WINDOW_AFTER = timedelta(days=400)
LEVELS = ("I", "II", "III", "IV")
CLOCK_TARGETS = tuple(SLATargetName.values)


def default_level_targets(level: str) -> dict[str, TargetSpec]:
    """BRIEF.md's table for one level (code defaults when the database has no rows)."""
    base = DEFAULT_TARGETS.get(level)
    if base is None:
        return {}
    days = DEFAULT_BUSINESS_DAYS.get(level, {})
    out: dict[str, TargetSpec] = {}
    for name in (SLATargetName.RESPOND, SLATargetName.ONSITE, SLATargetName.RESTORE, SLATargetName.RESOLVE):
        if name in days:
            out[name] = TargetSpec(target=name, business_days=days[name], business=True)
        elif getattr(base, name) is not None:
            out[name] = TargetSpec(target=name, duration=getattr(base, name), business=base.business_hours)
    if base.progress is not None:
        out[SLATargetName.PROGRESS] = TargetSpec(target=SLATargetName.PROGRESS, duration=base.progress,
                                                 business=base.business_hours)
    out[SLATargetName.REPORT] = TargetSpec(target=SLATargetName.REPORT, duration=base.report or DEFAULT_REPORT_DUE)
    return out


@dataclass(frozen=True)
class ResolvedPolicy:
    """Everything the clocks need for one organisation at one time."""

    calendar: BusinessCalendar
    policy_id: int | None = None
    name: str = ""
    calendar_id: int | None = None
    warn_thresholds: tuple[int, ...] = DEFAULT_WARN_THRESHOLDS
    observation_days: int = DEFAULT_OBSERVATION_DAYS
    escalation_step: timedelta | None = None
    targets: dict[str, dict[str, TargetSpec]] = field(default_factory=dict)
    unconfirmed_years: tuple[int, ...] = ()
    # The years of the loaded window and those of them the calendar has confirmed holidays for.
    window_years: tuple[int, ...] = ()
    confirmed_years: frozenset[int] = frozenset()

    def level_targets(self, level: str) -> dict[str, TargetSpec]:
        configured = self.targets.get(level)
        return configured if configured else default_level_targets(level)

    def spec(self, level: str, target: str) -> TargetSpec | None:
        spec = self.level_targets(level).get(target)
        return spec if spec is not None and spec.defined else None

    @property
    def observation_period(self) -> timedelta:
        return timedelta(days=self.observation_days)


def calendar_load(calendar: WorkCalendar, *, around: datetime) -> tuple[BusinessCalendar, tuple[int, ...]]:
    """The calendar's week plus its dated exceptions near `around`; and which of the years in that
    window have no confirmed (official) holiday data."""
    built, unconfirmed, _years, _confirmed = calendar_load_years(calendar, around=around)
    return built, unconfirmed


def calendar_load_years(calendar: WorkCalendar, *, around: datetime) -> tuple[
        BusinessCalendar, tuple[int, ...], tuple[int, ...], frozenset[int]]:
    """calendar_load, plus the window's years and the confirmed ones among them."""
    first = (around - WINDOW_BEFORE).date()
    last = (around + WINDOW_AFTER).date()
    holidays: list[date] = []
    workdays: list[date] = []
    for day, kind in CalendarDay.objects.filter(calendar=calendar, date__range=(first, last)).values_list(
            "date", "kind"):
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays).append(day)
    years = set(range(first.year, last.year + 1))
    confirmed = set(CalendarYear.objects.filter(calendar=calendar, year__in=years, confirmed=True)
                    .values_list("year", flat=True))
    unconfirmed = tuple(sorted(years - confirmed)) if calendar.holiday_country else ()
    week: dict[str | int, Any] = {str(k): v for k, v in (calendar.week or default_week()).items()}
    built = from_config(week=week, holidays=holidays, makeup_workdays=workdays,
                        tz=calendar.time_zone or "Asia/Shanghai", makeup_weekday=calendar.makeup_weekday)
    return built, unconfirmed, tuple(sorted(years)), frozenset(confirmed)


def _policy_row(organization_id: int | None) -> SLAPolicy | None:
    qs = SLAPolicy.objects.filter(is_active=True).select_related("calendar").prefetch_related("targets")
    if organization_id is not None:
        own = qs.filter(organization_id=organization_id).first()
        if own is not None:
            return own
    return qs.filter(organization__isnull=True).first()


def policy_from_row(policy: SLAPolicy, *, around: datetime) -> ResolvedPolicy:
    calendar, unconfirmed, window, confirmed = calendar_load_years(policy.calendar, around=around)
    targets: dict[str, dict[str, TargetSpec]] = {}
    for row in policy.targets.all():
        targets.setdefault(row.fault_level, {})[row.target] = TargetSpec(
            target=row.target, duration=row.duration, business_days=row.business_days,
            business=row.clock == ClockKind.BUSINESS,
        )
    thresholds = tuple(sorted({int(p) for p in policy.warn_thresholds or () if 0 < int(p) < 100}))
    return ResolvedPolicy(
        calendar=calendar, policy_id=policy.pk, name=policy.name, calendar_id=policy.calendar_id,
        warn_thresholds=thresholds, observation_days=policy.observation_days,
        escalation_step=policy.escalation_step, targets=targets, unconfirmed_years=unconfirmed,
        window_years=window, confirmed_years=confirmed,
    )


# --- the in-process cache of resolved policies (issue 19) ------------------------------------------
# Every incident create needs its organisation's policy, targets and calendar: three to five SELECTs
# and a calendar build per request before. Resolved policies are kept per process, keyed by the
# organisation and the UTC day of the instant (the calendar window is laid around that day).
# Invalidation across workers: a version counter in the shared Django cache (Redis in production,
# settings.CACHES), bumped on save/delete of a policy, target, calendar, calendar day or year (signals
# in tickets/apps.py) and by calendar_sync; every lookup reads the counter (one cache GET, no SQL)
# and drops the process's entries when it moved. Entries also expire after CONFIG_CACHE_SECONDS, which
# bounds staleness when the cache is process-local (LocMemCache without Redis, several workers).
CONFIG_VERSION_KEY = "opsdesk:sla-config-version"
CONFIG_CACHE_SECONDS = 300.0
_resolved_cache: dict[tuple[int | None, date], tuple[float, ResolvedPolicy]] = {}
_cache_state: dict[str, Any] = {"version": None}


def _config_version() -> Any:
    return cache_version(CONFIG_VERSION_KEY)


def sla_config_changed(**_kwargs: Any) -> None:
    """An admin changed SLA configuration: every worker re-reads it on its next lookup. Called by
    the model signals (opsdesk/cache_version.py: now and again when the transaction commits)."""
    cache_version_bump(CONFIG_VERSION_KEY, _resolved_cache.clear)


def sla_config_cache_clear() -> None:
    """Forget this process's resolved policies (tests roll back what signals announced)."""
    _resolved_cache.clear()
    _cache_state["version"] = None


def policy_for(*, organization_id: int | None, now: datetime) -> ResolvedPolicy:
    """The organisation's own active policy, else the default one, else the code defaults; from the
    process cache while the configuration version has not moved."""
    import time

    version = _config_version()
    if version is None or version != _cache_state["version"]:
        _resolved_cache.clear()
        _confirmed_cache.clear()
        _cache_state["version"] = version
    key = (organization_id, now.astimezone(UTC).date())
    hit = _resolved_cache.get(key)
    clock = time.monotonic()
    if hit is not None and clock - hit[0] < CONFIG_CACHE_SECONDS:
        return hit[1]
    day_start = datetime.combine(key[1], datetime.min.time(), tzinfo=UTC)
    resolved = policy_load(organization_id=organization_id, now=day_start)
    if version is not None:
        if len(_resolved_cache) > 1000:
            _resolved_cache.clear()
        _resolved_cache[key] = (clock, resolved)
    return resolved


_confirmed_cache: dict[int, tuple[float, frozenset[int]]] = {}


def calendar_confirmed_years(*, calendar_id: int) -> frozenset[int]:
    """Every year the calendar has confirmed (official) holidays for — old ones too, which a policy's
    window does not cover (an incident page of 2024) — from the process cache while the configuration
    version has not moved, like policy_for (CalendarYear is SLA configuration: saving one moves it)."""
    import time

    version = _config_version()
    if version is None or version != _cache_state["version"]:
        _resolved_cache.clear()
        _confirmed_cache.clear()
        _cache_state["version"] = version
    hit = _confirmed_cache.get(calendar_id)
    clock = time.monotonic()
    if hit is not None and clock - hit[0] < CONFIG_CACHE_SECONDS:
        return hit[1]
    years = frozenset(CalendarYear.objects.filter(calendar_id=calendar_id, confirmed=True)
                      .values_list("year", flat=True))
    if version is not None:
        _confirmed_cache[calendar_id] = (clock, years)
    return years


def policy_load(*, organization_id: int | None, now: datetime) -> ResolvedPolicy:
    """policy_for from the database (no cache)."""
    row = _policy_row(organization_id)
    if row is None:
        calendar_row = WorkCalendar.objects.filter(code=DEFAULT_CALENDAR_CODE).first()
        if calendar_row is None:
            return ResolvedPolicy(calendar=BusinessCalendar())
        calendar, unconfirmed = calendar_load(calendar_row, around=now)
        return ResolvedPolicy(calendar=calendar, calendar_id=calendar_row.pk, unconfirmed_years=unconfirmed)
    return policy_from_row(row, around=now)


class PolicyMemo:
    """Per-call memo for loops (the sweep): the active policies are read once per run, each one
    resolved once, never stale across runs (no process-wide cache to invalidate when an admin
    edits a policy). `cache` is free for the caller's own per-run lookups (escalation chains)."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.cache: dict[Any, Any] = {}
        self._rows: dict[int | None, SLAPolicy] | None = None
        self._resolved: dict[int | None, ResolvedPolicy] = {}

    def get(self, organization_id: int | None) -> ResolvedPolicy:
        if self._rows is None:
            rows = SLAPolicy.objects.filter(is_active=True).select_related("calendar").prefetch_related("targets")
            self._rows = {}
            for each in rows:
                self._rows.setdefault(each.organization_id, each)
        row: SLAPolicy | None = self._rows.get(organization_id) if organization_id is not None else None
        if row is None:
            row = self._rows.get(None)
        key = row.pk if row is not None else None
        if key not in self._resolved:
            self._resolved[key] = (policy_from_row(row, around=self.now) if row is not None
                                   else policy_for(organization_id=None, now=self.now))
        return self._resolved[key]


# --- official holiday data -----------------------------------------------------------------------

@dataclass(frozen=True)
class OfficialYear:
    year: int
    confirmed: bool
    holidays: dict[date, str]
    workdays: dict[date, str]
    note: str


def holiday_package_year(year: int, country: str = "CN") -> OfficialYear:
    """What the installed `holidays` package knows of `year`. The package carries the State
    Council's yearly notice (holidays and make-up working days, `weekend_workdays`) for the years
    it lists in its static tables; later years are only its own estimate, which we do not use."""
    import holidays as holidays_pkg

    version = getattr(holidays_pkg, "__version__", "?")
    try:
        country_holidays: Any = holidays_pkg.country_holidays(country, years=year, language="zh_CN")
    except (NotImplementedError, KeyError, AttributeError) as error:
        return OfficialYear(year, False, {}, {}, f"holidays {version}: {error}")
    official_years = _official_years(country)
    names = {d: str(n) for d, n in country_holidays.items() if d.year == year}
    estimated = any("推定" in n or "estimated" in n.lower() for n in names.values())
    confirmed = year in official_years and not estimated
    if not confirmed:
        return OfficialYear(year, False, {}, {}, f"holidays {version}: no official data for {year}")
    workdays = {d: "调休上班" for d in sorted(getattr(country_holidays, "weekend_workdays", ())) if d.year == year}
    return OfficialYear(year, True, names, workdays, f"holidays {version}: official data")


def _official_years(country: str) -> frozenset[int]:
    if country != "CN":
        return frozenset()
    try:
        from holidays.countries.china import ChinaStaticHolidays
    except ImportError:
        return frozenset()
    return frozenset(int(y) for y in getattr(ChinaStaticHolidays, "special_public_holidays", {}))


@dataclass(frozen=True)
class SyncResult:
    year: int
    confirmed: bool
    holidays: int
    workdays: int
    note: str


def calendar_sync(*, calendar: Any, years: Iterable[int], day_model: Any = CalendarDay,
                  year_model: Any = CalendarYear) -> list[SyncResult]:
    """Write official holidays and make-up days of `years` into `calendar` (a WorkCalendar).
    Admin rows (source admin) are never overwritten; official rows of the year that the package no
    longer lists are removed. `day_model`/`year_model` let a data migration pass historical models."""
    results: list[SyncResult] = []
    for year in sorted(set(years)):
        data = holiday_package_year(year, calendar.holiday_country or "CN")
        if data.confirmed:
            wanted = {d: (CalendarDayKind.HOLIDAY.value, n[:100]) for d, n in data.holidays.items()}
            wanted.update({d: (CalendarDayKind.WORKDAY.value, n) for d, n in data.workdays.items()})
            admin = set(day_model.objects.filter(calendar=calendar, date__year=year, source=CalendarDaySource.ADMIN)
                        .values_list("date", flat=True))
            day_model.objects.filter(calendar=calendar, date__year=year, source=CalendarDaySource.OFFICIAL).exclude(
                date__in=list(wanted)).delete()
            for day, (kind, name) in wanted.items():
                if day in admin:
                    continue
                day_model.objects.update_or_create(
                    calendar=calendar, date=day,
                    defaults={"kind": kind, "name": name, "source": CalendarDaySource.OFFICIAL.value},
                )
        year_model.objects.update_or_create(calendar=calendar, year=year,
                                            defaults={"confirmed": data.confirmed, "note": data.note[:200]})
        results.append(SyncResult(year, data.confirmed, len(data.holidays), len(data.workdays), data.note))
    sla_config_changed()
    return results
