"""Every write of the notifications app: emitting an event into deliveries, sending a delivery
(rate-limited per channel, retried with backoff, every attempt logged), merging a backlog into a
digest, and the in-app inbox's read marks.

The database is the source of truth (DESIGN.md rule 7): a delivery is a row first, the Celery
task that sends it is only a nudge, and `deliveries_flush` (beat, every 30 s) re-derives what is
due, so a lost or duplicated task message changes nothing."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.choices import Role
from accounts.models import User
from opsdesk.bulk import BulkOutcome, bulk_ids
from opsdesk.queueing import task_queue

from . import channels as senders
from .choices import CHAT_ROBOT_KINDS, ChannelKind, DeliveryMode, DeliveryStatus, NotificationEvent, RecipientKind
from .messages import msg, reader_language, render
from .models import (
    Delivery,
    DeliveryAttempt,
    Notification,
    NotificationChannel,
    NotificationPreference,
    NotificationRule,
)

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(seconds=60)
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 30 * 60
SENDING_STALE_AFTER = timedelta(minutes=10)
FLUSH_BATCH = 500
DIGEST_MAX_LINES = 30


# --- recipients -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone a rule names: a user, or a customer contact who has no account."""

    name: str
    user: User | None = None
    email: str = ""
    phone: str = ""


@dataclass
class Target:
    """Where one delivery goes on one channel."""

    key: str
    label: str
    user: User | None = None
    address: str = ""
    mobiles: list[str] = field(default_factory=list)

    @property
    def language(self) -> str:
        """The reader's language: the user's preference; zh-hans for a contact or a group chat."""
        return reader_language(self.user)


def _int_ids(values: Iterable[Any]) -> list[int]:
    ids: list[int] = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return ids


def _rule_people(*, rule: NotificationRule, context: Mapping[str, Any], organization_id: int | None) -> list[Person]:
    user_ids: list[Any] = []
    by_query = Q(pk__in=[])
    contacts: list[Person] = []
    for entry in rule.recipients:
        kind, _sep, arg = str(entry).partition(":")
        if kind == RecipientKind.ASSIGNEE:
            user_ids.append(context.get("assignee_id"))
        elif kind == RecipientKind.GROUP_LEAD:
            user_ids.append(context.get("group_lead_id"))
        elif kind == RecipientKind.TARGET:
            user_ids.extend(context.get("target_user_ids") or [])
        elif kind == RecipientKind.USER:
            user_ids.append(arg)
        elif kind == RecipientKind.ROLE and arg == Role.CUSTOMER:
            if organization_id is not None:
                by_query |= Q(role=Role.CUSTOMER, organization_id=organization_id)
        elif kind == RecipientKind.ROLE:
            by_query |= Q(role=arg)
        elif kind == RecipientKind.ORG_USERS and organization_id is not None:
            by_query |= Q(role=Role.CUSTOMER, organization_id=organization_id)
        elif kind == RecipientKind.CUSTOMER_CONTACT:
            if context.get("contact_user_id"):
                user_ids.append(context["contact_user_id"])
            elif context.get("contact_email") or context.get("contact_phone"):
                contacts.append(Person(name=str(context.get("contact_name") or _("Customer contact")),
                                       email=str(context.get("contact_email") or ""),
                                       phone=str(context.get("contact_phone") or "")))
    users = User.objects.filter(is_active=True).filter(Q(pk__in=_int_ids(user_ids)) | by_query).order_by("pk")
    people = [Person(name=u.display_name, user=u, email=u.email, phone=u.phone) for u in users]
    return people + contacts


def _targets(channel: NotificationChannel, people: list[Person]) -> list[Target]:
    """People → delivery targets for one channel: one per person, or one per group chat."""
    if channel.kind in CHAT_ROBOT_KINDS:
        mobiles = sorted({p.phone for p in people if p.phone})
        return [Target(key="group", label=channel.name, mobiles=mobiles)]
    targets: list[Target] = []
    for person in people:
        if channel.kind == ChannelKind.INAPP and person.user is not None:
            targets.append(Target(key=f"user:{person.user.pk}", label=person.name, user=person.user))
        elif channel.kind == ChannelKind.EMAIL and person.email:
            targets.append(Target(key=f"email:{person.email.strip().lower()}", label=person.name,
                                  user=person.user, address=person.email.strip()))
        elif channel.kind == ChannelKind.SMS and person.phone:
            phone = "".join(ch for ch in person.phone if ch.isdigit() or ch == "+")
            targets.append(Target(key=f"phone:{phone}", label=person.name, user=person.user, address=phone))
    return targets


def _payload(*, event: str, context: Mapping[str, Any], target: Target, time_zone: str | None) -> dict[str, Any]:
    """What one recipient reads: the title and body rendered now, in the recipient's language and
    the organisation's time zone (messages are queued untranslated, see notifications/messages.py)."""
    title = render(context["title"], language=target.language, time_zone=time_zone)
    number = str(context.get("number") or "")
    payload: dict[str, Any] = {
        "title": title,
        "body": render(context.get("body") or "", language=target.language, time_zone=time_zone),
        "link": str(context.get("link") or ""),
        "number": number,
        "sms_params": dict(context.get("sms_params") or {"number": number, "title": title, "event": event}),
    }
    if target.mobiles:
        payload["mobiles"] = target.mobiles
    return payload


# --- emitting -------------------------------------------------------------------------------


def _queue_send(delivery_id: int) -> None:
    task_queue("notifications.delivery_send_task", delivery_id)


@transaction.atomic
def notification_emit(*, event: str, fault_level: str | None, organization_id: int | None,
                      context: Mapping[str, Any], dedup_key: str, now: datetime) -> list[Delivery]:
    """Turn one event into deliveries by the matching rules; return the deliveries created now.

    `context`: title (required), body, link (e.g. "/incidents/5/"), number, assignee_id,
    group_lead_id, target_user_ids (e.g. the escalation target), contact_name, contact_email,
    contact_phone, contact_user_id, sms_params (SMS template variables), fallback_user_ids (who gets
    it in-app when the rules reach nobody: an event that must reach a person, such as a breach).
    Title and body may be messages (notifications/messages.py), rendered per recipient in their
    language and the organisation's time zone.
    Idempotent: the same `dedup_key` (e.g. "inc:42:sla.breach:resolve") never creates a delivery
    twice for the same channel and recipient. In-app messages are written at once; everything else
    is sent after commit by `delivery_send_task`."""
    if event not in NotificationEvent.values:
        raise ValidationError({"event": [_("Unknown notification event.")]})
    if not str(context.get("title") or "").strip():
        raise ValidationError({"title": [_("A notification needs a title.")]})
    if not dedup_key:
        raise ValidationError({"dedup_key": [_("A notification needs a deduplication key.")]})
    active_channels = NotificationChannel.objects.filter(is_active=True)
    rules = (
        NotificationRule.objects.filter(is_active=True, event=event)
        .filter(Q(organization__isnull=True) | Q(organization_id=organization_id))
        .prefetch_related(Prefetch("channels", queryset=active_channels))
        .order_by("pk")
    )
    time_zone = _organization_time_zone(organization_id)
    created: list[Delivery] = []
    planned: set[tuple[int, str]] = set()
    preferences: dict[int, NotificationPreference | None] = {}
    reached_someone = False
    for rule in rules:
        if not rule.matches_level(fault_level):
            continue
        people = _rule_people(rule=rule, context=context, organization_id=organization_id)
        _load_preferences(preferences, people)
        for channel in rule.channels.all():
            for target in _targets(channel, people):
                reached_someone = reached_someone or target.user is not None or bool(target.address)
                if (channel.pk, target.key) in planned:
                    continue
                planned.add((channel.pk, target.key))
                pref = preferences.get(target.user.pk) if target.user is not None else None
                decision = preference_decision(pref, event=event, channel_kind=channel.kind,
                                               fault_level=fault_level, now=now)
                if decision == SKIP:
                    continue
                delivery = _delivery_create(channel=channel, rule=rule, event=event, context=context,
                                            dedup_key=dedup_key, target=target, now=now, time_zone=time_zone,
                                            hold=decision == HOLD, fault_level=fault_level)
                if delivery is not None:
                    created.append(delivery)
    if not reached_someone and context.get("fallback_user_ids"):
        created.extend(_fallback_deliveries(event=event, context=context, dedup_key=dedup_key, now=now,
                                            time_zone=time_zone, fault_level=fault_level))
    return created


# --- a person's preferences -------------------------------------------------------------------

SEND, HOLD, SKIP = "send", "hold", "skip"
URGENT_LEVEL = "I"


def _load_preferences(cache: dict[int, NotificationPreference | None], people: list[Person]) -> None:
    missing = [p.user.pk for p in people if p.user is not None and p.user.pk not in cache]
    if not missing:
        return
    found = {pref.user_id: pref for pref in NotificationPreference.objects.filter(user_id__in=missing)}
    for pk in missing:
        cache[pk] = found.get(pk)


def preference_decision(pref: NotificationPreference | None, *, event: str, channel_kind: str,
                        fault_level: str | None, now: datetime) -> str:
    """What a person's preferences make of one message on one channel: SEND it now, HOLD it for
    their digest (digest mode, or quiet hours), or SKIP it (event muted, channel switched off).
    A level I incident is never muted, held or skipped. Robots and SMS are the desk's choice, and the
    inbox is silent, so quiet hours and digests hold only e-mail."""
    if pref is None or fault_level == URGENT_LEVEL:
        return SEND
    if event in (pref.muted_events or []):
        return SKIP
    if channel_kind == ChannelKind.INAPP:
        return SEND if pref.inapp else SKIP
    if channel_kind == ChannelKind.EMAIL:
        if not pref.email:
            return SKIP
        if pref.mode == DeliveryMode.DIGEST or pref.in_quiet_hours(now):
            return HOLD
    return SEND


def _organization_time_zone(organization_id: int | None) -> str | None:
    if organization_id is None:
        return None
    from accounts.models import Organization

    return Organization.objects.filter(pk=organization_id).values_list("time_zone", flat=True).first()


def _fallback_deliveries(*, event: str, context: Mapping[str, Any], dedup_key: str, now: datetime,
                         time_zone: str | None, fault_level: str | None = None) -> list[Delivery]:
    """An event that must reach a person (a breach, an escalation) but whose rules named nobody who
    exists (no assignee, no group lead): the people the event names as its fallback
    (`fallback_user_ids`, e.g. the dispatchers) get it in their in-app inbox."""
    channel = (NotificationChannel.objects.filter(kind=ChannelKind.INAPP, is_active=True).order_by("pk").first()
               or NotificationChannel.objects.filter(kind=ChannelKind.INAPP).order_by("pk").first())
    if channel is None:
        channel = NotificationChannel.objects.create(kind=ChannelKind.INAPP, name="In-app", is_active=True)
    users = User.objects.filter(is_active=True, pk__in=_int_ids(context.get("fallback_user_ids") or [])).order_by("pk")
    created: list[Delivery] = []
    for user in users:
        target = Target(key=f"user:{user.pk}", label=user.display_name, user=user)
        delivery = _delivery_create(channel=channel, rule=None, event=event, context=context, dedup_key=dedup_key,
                                    target=target, now=now, time_zone=time_zone, fault_level=fault_level)
        if delivery is not None:
            created.append(delivery)
    if not users:
        logger.warning("Notification %s (%s) reached nobody: no rule recipient and no fallback user", dedup_key, event)
    return created


def _delivery_create(*, channel: NotificationChannel, rule: NotificationRule | None, event: str,
                     context: Mapping[str, Any], dedup_key: str, target: Target, now: datetime,
                     time_zone: str | None = None, hold: bool = False,
                     fault_level: str | None = None) -> Delivery | None:
    inapp = channel.kind == ChannelKind.INAPP
    status = DeliveryStatus.SENT if inapp else DeliveryStatus.HELD if hold else DeliveryStatus.QUEUED
    delivery, was_created = Delivery.objects.get_or_create(
        channel=channel, dedup_key=dedup_key[:200], recipient_key=target.key[:200],
        defaults={
            "rule": rule, "event": event, "recipient": target.label[:300], "address": target.address[:254],
            "user": target.user, "payload": _payload(event=event, context=context, target=target, time_zone=time_zone),
            "status": status, "sent_at": now if inapp else None,
            "next_attempt_at": now if status == DeliveryStatus.QUEUED else None, "created_at": now,
        },
    )
    if not was_created:
        return None
    if status == DeliveryStatus.HELD:
        return delivery  # the digest sweep sends it with the person's next digest
    if inapp and target.user is not None:
        Notification.objects.create(
            user=target.user, event=event, delivery=delivery, created_at=now,
            title=delivery.payload["title"][:300], body=delivery.payload["body"], link=delivery.payload["link"][:500],
            subject=str(delivery.payload.get("number") or "")[:40], fault_level=(fault_level or "")[:4],
        )
    else:
        delivery_pk = delivery.pk
        transaction.on_commit(lambda: _queue_send(delivery_pk), robust=True)
    return delivery


# --- sending --------------------------------------------------------------------------------


def _window_count(channel: NotificationChannel, now: datetime) -> int:
    # No upper bound: an attempt stamped a little "later" by a worker with a faster clock still counts.
    return DeliveryAttempt.objects.filter(channel=channel, at__gt=now - RATE_WINDOW).count()


def _free_slots(channel: NotificationChannel, now: datetime) -> int | None:
    """How many more attempts the channel may make in the current minute (None = unlimited)."""
    if not channel.rate_limit_per_minute:
        return None
    return max(channel.rate_limit_per_minute - _window_count(channel, now), 0)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, … capped at 30 min."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def _claim(*, delivery_id: int, now: datetime) -> tuple[Delivery, DeliveryAttempt] | None:
    """Reserve one slot of the channel's minute for this delivery, or leave it queued.

    The channel row is locked while counting, so several workers never overrun the limit
    together; the HTTP call itself happens outside any transaction."""
    channel_id = Delivery.objects.filter(pk=delivery_id).values_list("channel_id", flat=True).first()
    if channel_id is None:
        return None
    with transaction.atomic():
        channel = NotificationChannel.objects.select_for_update().get(pk=channel_id)  # lock order: channel, delivery
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != DeliveryStatus.QUEUED or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        if not channel.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = _("The channel is switched off.")
            delivery.save(update_fields=["status", "last_error"])
            return None
        free = _free_slots(channel, now)
        if free is not None and free <= 0:
            return None  # stays queued: deliveries_flush merges the backlog when the minute frees up
        delivery.attempts += 1
        delivery.status = DeliveryStatus.SENDING
        delivery.next_attempt_at = now + SENDING_STALE_AFTER  # reclaimed by the flush if this worker dies
        delivery.save(update_fields=["attempts", "status", "next_attempt_at"])
        attempt = DeliveryAttempt.objects.create(delivery=delivery, channel=channel, at=now)
    delivery.channel = channel
    return delivery, attempt


@transaction.atomic
def _record(*, delivery: Delivery, attempt: DeliveryAttempt, result: senders.SendResult, now: datetime) -> Delivery:
    channel = delivery.channel
    secrets = channel.secret_values()
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=now, ok=result.ok, http_status=result.http_status, request_url=result.request_url[:500],
        response_excerpt=result.response_excerpt, error=result.error,
    )
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status != DeliveryStatus.SENDING:
        return locked  # reclaimed meanwhile; the attempt is logged all the same
    if result.ok:
        locked.status = DeliveryStatus.SENT
        locked.sent_at = now
        locked.last_error = ""
        locked.next_attempt_at = None
    elif result.permanent or locked.attempts >= channel.max_attempts:
        locked.status = DeliveryStatus.FAILED
        locked.last_error = result.error
        locked.next_attempt_at = None
    else:
        locked.status = DeliveryStatus.QUEUED
        locked.last_error = result.error
        locked.next_attempt_at = now + retry_delay(locked.attempts)
    if secrets:
        from .redaction import scrub

        locked.last_error = scrub(locked.last_error, secrets)
    locked.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at"])
    return locked


def delivery_send(*, delivery_id: int, now: datetime) -> Delivery | None:
    """Try one queued, due delivery once. Safe to call twice or from several workers: a delivery
    that is not queued, not due, or over its channel's rate limit is left as it is."""
    claimed = _claim(delivery_id=delivery_id, now=now)
    if claimed is None:
        return Delivery.objects.filter(pk=delivery_id).first()
    delivery, attempt = claimed
    try:
        result = senders.send(delivery.channel, delivery, now=now)
    except Exception as exc:  # a record the sender cannot handle fails with the reason, it never loops
        logger.exception("Delivery %s could not be sent", delivery.pk)
        result = senders.SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:2000], permanent=True)
    return _record(delivery=delivery, attempt=attempt, result=result, now=now)


# --- flushing: retries, backlog digests, lost tasks -----------------------------------------


@dataclass
class FlushSummary:
    reclaimed: int = 0
    merged: int = 0
    digests: int = 0
    tried: int = 0
    failed: int = 0


def _digest_create(*, channel: NotificationChannel, items: list[Delivery], now: datetime) -> Delivery:
    titles = [str(d.payload.get("title") or "") for d in items]
    language = reader_language(items[0].user)
    title = render(msg(gettext_noop("%(count)d notifications: %(first)s …"), count=len(items), first=titles[0]),
                   language=language)
    lines = [f"- {t}" for t in titles[:DIGEST_MAX_LINES]]
    if len(titles) > DIGEST_MAX_LINES:
        lines.append(render(msg(gettext_noop("… and %(count)d more"), count=len(titles) - DIGEST_MAX_LINES),
                            language=language))
    mobiles = sorted({m for d in items for m in d.payload.get("mobiles") or []})
    first = items[0]
    payload: dict[str, Any] = {
        "title": title, "body": "\n".join(lines), "link": "", "number": "",
        "sms_params": {"number": "", "title": title, "event": NotificationEvent.DIGEST.value},
    }
    if mobiles:
        payload["mobiles"] = mobiles
    digest = Delivery.objects.create(
        channel=channel, rule=None, event=NotificationEvent.DIGEST,
        dedup_key=f"digest:{items[0].pk}-{items[-1].pk}:{uuid.uuid4().hex[:12]}", recipient_key=first.recipient_key,
        recipient=first.recipient, address=first.address, user=first.user, payload=payload,
        status=DeliveryStatus.QUEUED, next_attempt_at=now, created_at=now,
    )
    Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
        status=DeliveryStatus.MERGED, merged_into=digest, next_attempt_at=None,
    )
    return digest


@transaction.atomic
def _channel_plan(*, channel_id: int, now: datetime, summary: FlushSummary) -> list[int]:
    """Pick what a channel sends in this flush: retries one by one, and a recipient's backlog of
    two or more fresh messages merged into one digest, within the free slots of the minute."""
    channel = NotificationChannel.objects.select_for_update().get(pk=channel_id)
    due = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(channel=channel, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("created_at", "id")[:FLUSH_BATCH]
    )
    if not channel.is_active:
        return [d.pk for d in due]  # delivery_send marks them failed
    free = _free_slots(channel, now)
    if free is not None and free <= 0:
        return []
    groups: dict[str, list[Delivery]] = {}
    for delivery in due:
        groups.setdefault(delivery.recipient_key, []).append(delivery)
    plan: list[int] = []
    for items in groups.values():
        fresh = [d for d in items if d.attempts == 0 and d.event != NotificationEvent.DIGEST]
        if len(fresh) >= 2:
            digest = _digest_create(channel=channel, items=fresh, now=now)
            summary.merged += len(fresh)
            summary.digests += 1
            plan.append(digest.pk)
            plan.extend(d.pk for d in items if d not in fresh)
        else:
            plan.extend(d.pk for d in items)
    return plan if free is None else plan[:free]


def deliveries_flush(*, now: datetime) -> FlushSummary:
    """The periodic sweep: reclaim deliveries whose worker died mid-send, then per channel send
    what is due (retries after their backoff, queued messages whose task was lost, and the backlog
    a saturated channel held back, merged into one digest per recipient)."""
    summary = FlushSummary()
    summary.reclaimed = Delivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lte=now).update(
        status=DeliveryStatus.QUEUED, next_attempt_at=now, last_error=_("The sending worker stopped; trying again."),
    )
    channel_ids = list(
        Delivery.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        .order_by().values_list("channel_id", flat=True).distinct()
    )
    for channel_id in channel_ids:
        for delivery_id in _channel_plan(channel_id=channel_id, now=now, summary=summary):
            try:
                delivery_send(delivery_id=delivery_id, now=now)
            except Exception as exc:  # one bad record never stops the queue behind it
                logger.exception("Delivery %s failed in the flush", delivery_id)
                Delivery.objects.filter(
                    pk=delivery_id, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING],
                ).update(status=DeliveryStatus.FAILED, next_attempt_at=None,
                         last_error=f"{type(exc).__name__}: {exc}"[:2000])
                summary.failed += 1
            summary.tried += 1
    return summary


# --- in-app inbox ---------------------------------------------------------------------------


def notification_mark_read(*, user: Any, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's own notifications read (someone else's is DoesNotExist → 404)."""
    notification = Notification.objects.get(pk=notification_id, user_id=user.pk)
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: Any, now: datetime, subject: str | None = None) -> int:
    """Mark all the user's unread notifications read (or only those about one ticket)."""
    qs = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if subject is not None:
        qs = qs.filter(subject=subject)
    return qs.update(read_at=now)


def notification_mark_read_many(*, user: Any, ids: list[Any], now: datetime) -> list[BulkOutcome]:
    """Mark each chosen notification read, one by one; someone else's or an unknown id is refused."""
    outcomes: list[BulkOutcome] = []
    for pk in bulk_ids(ids):
        try:
            notification = notification_mark_read(user=user, notification_id=pk, now=now)
        except Notification.DoesNotExist:
            outcomes.append(BulkOutcome(pk=pk, label=f"#{pk}", done=False, reason=_("Not found.")))
            continue
        outcomes.append(BulkOutcome(pk=pk, label=notification.title, done=True))
    return outcomes


# --- digests ----------------------------------------------------------------------------------


def recipient_language(user: Any) -> str:
    """The language a person reads messages in: their own choice where the account has one, else the site's."""
    from django.conf import settings

    for name in ("preferred_language", "language"):
        value = getattr(user, name, "") if user is not None else ""
        if isinstance(value, str) and value:
            return value
    return str(settings.LANGUAGE_CODE)


def digest_period_start(*, now: datetime, minutes: int) -> datetime:
    """The start of the digest period `now` falls in: periods of `minutes` counted from the epoch (UTC)."""
    step = max(int(minutes), 1) * 60
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, tz=now.tzinfo or UTC)


def _digest_payload(*, pref: NotificationPreference, items: list[Delivery], period_start: datetime) -> dict[str, Any]:
    from django.utils import translation

    zone = pref.zone()
    with translation.override(recipient_language(pref.user)):
        first = items[0].created_at.astimezone(zone)
        title = _("OpsDesk: %(count)d notifications since %(start)s") % {
            "count": len(items), "start": first.strftime("%Y-%m-%d %H:%M")}
        lines = [f"{d.created_at.astimezone(zone):%H:%M} {d.payload.get('title') or ''}" for d in items[:DIGEST_MAX_LINES]]
        if len(items) > DIGEST_MAX_LINES:
            lines.append(_("… and %(count)d more") % {"count": len(items) - DIGEST_MAX_LINES})
        lines.append(_("Times are %(zone)s.") % {"zone": zone.key})
    return {"title": str(title), "body": "\n".join(str(line) for line in lines), "link": "/notifications/",
            "number": "", "sms_params": {"number": "", "title": str(title), "event": NotificationEvent.DIGEST.value}}


@dataclass
class DigestSummary:
    digests: int = 0
    released: int = 0
    merged: int = 0


def _digest_one(*, user_id: int, now: datetime, summary: DigestSummary) -> None:
    with transaction.atomic():
        pref = (NotificationPreference.objects.select_for_update().select_related("user")
                .filter(user_id=user_id).first())  # one digest sweep per person at a time
        held = Delivery.objects.filter(user_id=user_id, status=DeliveryStatus.HELD)
        if pref is None:  # preferences gone: nothing holds the messages any more
            summary.released += held.update(status=DeliveryStatus.QUEUED, next_attempt_at=now)
            return
        if pref.in_quiet_hours(now):
            return
        digest_mode = pref.mode == DeliveryMode.DIGEST
        period_start = digest_period_start(now=now, minutes=pref.digest_minutes if digest_mode else 1)
        if digest_mode:
            held = held.filter(created_at__lt=period_start)
        items = list(held.select_for_update().order_by("created_at", "id"))
        by_channel: dict[int, list[Delivery]] = {}
        for item in items:
            by_channel.setdefault(item.channel_id, []).append(item)
        for channel_id, group in by_channel.items():
            if len(group) == 1 and not digest_mode:
                Delivery.objects.filter(pk=group[0].pk).update(status=DeliveryStatus.QUEUED, next_attempt_at=now)
                summary.released += 1
                _after_commit_send(group[0].pk)
                continue
            key = f"digest:user:{user_id}:{period_start.isoformat()}"
            digest, created = Delivery.objects.get_or_create(
                channel_id=channel_id, dedup_key=key, recipient_key=group[0].recipient_key,
                defaults={"rule": None, "event": NotificationEvent.DIGEST, "recipient": group[0].recipient,
                          "address": group[0].address, "user_id": user_id,
                          "payload": _digest_payload(pref=pref, items=group, period_start=period_start),
                          "status": DeliveryStatus.QUEUED, "next_attempt_at": now, "created_at": now},
            )
            if not created:
                continue  # this period's digest is out already; the rest waits for the next one
            Delivery.objects.filter(pk__in=[d.pk for d in group]).update(
                status=DeliveryStatus.MERGED, merged_into=digest, next_attempt_at=None)
            summary.digests += 1
            summary.merged += len(group)
            _after_commit_send(digest.pk)


def _after_commit_send(delivery_id: int) -> None:
    transaction.on_commit(lambda: _queue_send(delivery_id), robust=True)


def digests_send(*, now: datetime) -> DigestSummary:
    """The digest sweep (beat, every minute): per person with held messages, one digest per period
    in their language and time zone; after quiet hours, what was held. Safe with two beats: the
    person's preference row is locked and the digest's deduplication key names the period."""
    summary = DigestSummary()
    user_ids = list(Delivery.objects.filter(status=DeliveryStatus.HELD).order_by()
                    .values_list("user_id", flat=True).distinct())
    for user_id in user_ids:
        if user_id is None:
            continue
        try:
            _digest_one(user_id=user_id, now=now, summary=summary)
        except Exception:  # one person's bad data never stops everyone else's digest
            logger.exception("Digest for user %s failed", user_id)
    return summary


def preference_save(*, user: Any, data: Mapping[str, Any]) -> NotificationPreference:
    """Create or update the person's own preferences (validated: unknown events, half quiet hours,
    bad time zones are field errors)."""
    pref = NotificationPreference.objects.filter(user_id=user.pk).first() or NotificationPreference(user=user)
    for key in ("muted_events", "inapp", "email", "mode", "digest_minutes", "quiet_start", "quiet_end", "time_zone"):
        if key in data:
            setattr(pref, key, data[key])
    pref.full_clean()
    pref.save()
    return pref


# --- configuration (API writes) -------------------------------------------------------------

CHANNEL_FIELDS = frozenset({
    "kind", "name", "is_active", "webhook_url", "secret", "access_key_id", "access_key_secret", "sign_name",
    "template_code", "endpoint", "rate_limit_per_minute", "max_attempts",
})
CHANNEL_SECRET_FIELDS = frozenset({"webhook_url", "secret", "access_key_secret"})


def channel_save(*, channel: NotificationChannel | None, data: Mapping[str, Any]) -> NotificationChannel:
    """Create or update a channel. A blank secret field in an update keeps the stored secret, so a
    form or client that never sees the secrets can still edit the rest."""
    channel = channel or NotificationChannel()
    creating = channel.pk is None
    for key, value in data.items():
        if key not in CHANNEL_FIELDS:
            raise ValidationError({key: [_("This field cannot be changed here.")]})
        if key in CHANNEL_SECRET_FIELDS and not creating and value in ("", None):
            continue
        setattr(channel, key, value)
    if creating and "rate_limit_per_minute" not in data and channel.kind in CHAT_ROBOT_KINDS:
        channel.rate_limit_per_minute = 20
    channel.full_clean()
    channel.save()
    return channel


RULE_FIELDS = frozenset({"name", "event", "fault_levels", "organization", "recipients", "is_active"})


@transaction.atomic
def rule_save(*, rule: NotificationRule | None, data: Mapping[str, Any],
              channels: Iterable[NotificationChannel] | None = None) -> NotificationRule:
    rule = rule or NotificationRule()
    for key, value in data.items():
        if key not in RULE_FIELDS:
            raise ValidationError({key: [_("This field cannot be changed here.")]})
        setattr(rule, key, value)
    rule.full_clean()
    rule.save()
    if channels is not None:
        rule.channels.set(list(channels))
    return rule
