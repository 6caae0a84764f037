"""Every write to a release. `release_transition` is the only writer of `status`; deployments are
append-only records, each an event in the release's hash chain."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from changes.choices import ChangeStatus
from changes.models import Change, FreezeWindow
from tickets.audit import event_record, ticket_insert_created
from tickets.choices import EventAction
from tickets.numbering import next_number_and_id
from tickets.services import ticket_lock, ticket_touch, version_check
from tickets.transitions import TicketKindSpec, TransitionContext, kind_register, transition_run

from .choices import EDITABLE_STATUSES, FINISHED_STATUSES, DeploymentResult, Environment, ReleaseStatus
from .models import CalendarFeedKey, Deployment, Release, ReleaseChange
from .workflow import RELEASE_WORKFLOW

User = get_user_model()

# A change that is over without being carried out cannot ship in a release.
UNRELEASABLE_CHANGE_STATUSES = (ChangeStatus.REJECTED, ChangeStatus.CANCELLED)
# Before deployment starts, every change must have all its approvals (CAB and customer): the
# customer's brief requires their confirmation before any change to configuration or data.
APPROVED_CHANGE_STATUSES = (
    ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING, ChangeStatus.IMPLEMENTED, ChangeStatus.REVIEW,
    ChangeStatus.CLOSED,
)
# Deployments are recorded while a release is being rolled out, once it is out, and after a roll-back.
DEPLOYMENT_STATUSES = (ReleaseStatus.DEPLOYING, ReleaseStatus.DEPLOYED, ReleaseStatus.ROLLED_BACK)
CLOCK_SKEW = timedelta(minutes=5)
UPDATABLE_FIELDS = ("title", "description", "release_version", "plan", "planned_start", "planned_end")


def _staff_only(actor: Any) -> None:
    if not actor.is_staff_member:
        raise PermissionDenied


def _as_json(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def _check_window(start: datetime | None, end: datetime | None) -> dict[str, list[str]]:
    if (start is None) != (end is None):
        field = "planned_end" if end is None else "planned_start"
        return {field: [_("Give both the planned start and the planned end, or neither.")]}
    if start is not None and end is not None and end <= start:
        return {"planned_end": [_("The planned end must be after the planned start.")]}
    return {}


def _changes_check(*, changes: Iterable[Change], organization_id: int, release_id: int | None) -> None:
    """A change joins a release of its own organisation, if it can still be carried out and no
    other open release holds it."""
    errors: list[str] = []
    changes = list(changes)
    for change in changes:
        if change.organization_id != organization_id:
            errors.append(_("%(number)s belongs to another organisation.") % {"number": change.number})
        elif change.status in UNRELEASABLE_CHANGE_STATUSES:
            errors.append(_("%(number)s is %(status)s and cannot be released.")
                          % {"number": change.number, "status": change.get_status_display()})
    taken = (ReleaseChange.objects.filter(change__in=[c.pk for c in changes], open=True)
             .select_related("release", "change"))
    if release_id is not None:
        taken = taken.exclude(release_id=release_id)
    for link in taken:
        errors.append(_("%(change)s is already in the open release %(release)s.")
                      % {"change": link.change.number, "release": link.release.number})
    if errors:
        raise ValidationError({"changes": errors})


def _link_changes(*, release: Release, add: list[Change], actor: Any, now: datetime) -> None:
    try:
        with transaction.atomic():  # a savepoint: a concurrent release may have taken a change meanwhile
            ReleaseChange.objects.bulk_create([
                ReleaseChange(release=release, change=change, open=release.status not in FINISHED_STATUSES,
                              added_at=now, added_by=actor)
                for change in add
            ])
    except IntegrityError:
        raise ValidationError({"changes": [
            _("One of these changes was just added to another open release. Reload and try again.")]}) from None


def freeze_conflicts(*, organization_id: int, start: datetime, end: datetime) -> list[FreezeWindow]:
    """Active freeze windows (the organisation's or everyone's) overlapping [start, end)."""
    return list(FreezeWindow.objects.filter(
        Q(organization__isnull=True) | Q(organization_id=organization_id),
        is_active=True, start__lt=end, end__gt=start,
    ).order_by("start", "id"))


def _freeze_message(window: FreezeWindow) -> str:
    local = timezone.localtime
    return _("The planned window falls in the freeze window “%(name)s” (%(start)s – %(end)s).") % {
        "name": window.name, "start": local(window.start).strftime("%Y-%m-%d %H:%M"),
        "end": local(window.end).strftime("%Y-%m-%d %H:%M")}


@transaction.atomic
def release_create(
    *, actor: Any, organization: Organization, title: str, release_version: str, description: str = "",
    plan: str = "", planned_start: datetime | None = None, planned_end: datetime | None = None,
    changes: Iterable[Change] = (), now: datetime,
) -> Release:
    _staff_only(actor)
    changes = list(dict.fromkeys(changes))
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the release a short title.")]
    if not (release_version or "").strip():
        errors["release_version"] = [_("Give the version this release ships, e.g. 2.4.0.")]
    errors.update(_check_window(planned_start, planned_end))
    if errors:
        raise ValidationError(errors)
    _changes_check(changes=changes, organization_id=organization.pk, release_id=None)
    number, pk = next_number_and_id(Release.NUMBER_PREFIX, Release)
    release = Release(
        pk=pk, number=number, title=title.strip(), description=(description or "").strip(),
        release_version=release_version.strip(), plan=(plan or "").strip(), planned_start=planned_start,
        planned_end=planned_end, organization=organization, reported_at=now, created_by=actor,
        status=ReleaseStatus.PLANNING,
    )
    ticket_insert_created(ticket=release, actor=actor, now=now, public=True, data={
        "number": release.number, "title": release.title, "release_version": release.release_version,
        "organization": organization.pk, "planned_start": planned_start, "planned_end": planned_end,
        "changes": sorted(c.number for c in changes),
    })
    _link_changes(release=release, add=changes, actor=actor, now=now)
    return release


@transaction.atomic
def release_update(*, release_id: int, actor: Any, version: int | None, fields: dict[str, Any],
                   change_list: Iterable[Change] | None = None, now: datetime) -> Release:
    """Edit the release's descriptive fields and plan (the window only until deployment starts),
    and, when `change_list` is given, make it hold exactly those changes. One atomic write."""
    _staff_only(actor)
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    release = ticket_lock(Release, release_id)
    version_check(release, version)
    if release.status in FINISHED_STATUSES:
        raise ValidationError({"status": [_("A closed or cancelled release cannot be edited.")]})
    diff: dict[str, list[Any]] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        old = getattr(release, name)
        if _as_json(old) != _as_json(value):
            diff[name] = [_as_json(old), _as_json(value)]
            setattr(release, name, value)
    errors: dict[str, list[str]] = {}
    if "title" in diff and not release.title:
        errors["title"] = [_("Give the release a short title.")]
    if "release_version" in diff and not release.release_version:
        errors["release_version"] = [_("Give the version this release ships, e.g. 2.4.0.")]
    if {"planned_start", "planned_end"} & set(diff):
        if release.status not in EDITABLE_STATUSES:
            errors["planned_start"] = [_("The planned window cannot move once deployment has started.")]
        else:
            errors.update(_check_window(release.planned_start, release.planned_end))
            if not errors and release.status == ReleaseStatus.SCHEDULED:
                if release.planned_start is None or release.planned_end is None:
                    errors["planned_start"] = [_("A scheduled release needs a planned window.")]
                else:
                    _refuse_blocking_freeze(release)
    if errors:
        raise ValidationError(errors)
    linked, unlinked = ([], []) if change_list is None else _apply_changes(
        release=release, wanted=list(change_list), actor=actor, now=now)
    if not diff and not linked and not unlinked:
        return release
    ticket_touch(release, fields=[f for f in UPDATABLE_FIELDS if f in diff])
    if diff:
        event_record(ticket=release, actor=actor, action=EventAction.UPDATED, now=now, public=True,
                     data={"changes": diff})
    for pk, number in linked:
        event_record(ticket=release, actor=actor, action=EventAction.LINKED, now=now, public=True,
                     data={"change": pk, "number": number})
    for pk, number in unlinked:
        event_record(ticket=release, actor=actor, action=EventAction.UNLINKED, now=now, public=True,
                     data={"change": pk, "number": number})
    return release


def _apply_changes(*, release: Release, wanted: list[Change], actor: Any,
                   now: datetime) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Make the (locked) release hold exactly `wanted`; returns the (id, number) linked and unlinked."""
    by_pk = {c.pk: c for c in wanted}
    current = set(ReleaseChange.objects.filter(release=release).values_list("change_id", flat=True))
    add = sorted((c for pk, c in by_pk.items() if pk not in current), key=lambda c: c.number)
    remove = current - set(by_pk)
    if not add and not remove:
        return [], []
    if release.status not in EDITABLE_STATUSES:
        raise ValidationError({"changes": [
            _("Changes can be added or removed while the release is planned, scheduled or rolled back.")]})
    if release.status == ReleaseStatus.SCHEDULED and not by_pk:
        raise ValidationError({"changes": [_("A scheduled release must hold at least one change.")]})
    _changes_check(changes=add, organization_id=release.organization_id, release_id=release.pk)
    removed = sorted(Change.objects.filter(pk__in=remove).values_list("pk", "number"), key=lambda r: r[1])
    # Taking a change out of a release removes the grouping row; the `unlinked` event keeps the history.
    ReleaseChange.objects.filter(release=release, change_id__in=remove).delete()
    _link_changes(release=release, add=add, actor=actor, now=now)
    return [(c.pk, c.number) for c in add], list(removed)


def _refuse_blocking_freeze(release: Release) -> None:
    assert release.planned_start is not None and release.planned_end is not None
    blocking = [w for w in freeze_conflicts(organization_id=release.organization_id, start=release.planned_start,
                                            end=release.planned_end) if w.blocking]
    if blocking:
        raise ValidationError({"planned_start": [_freeze_message(w) for w in blocking]})


def _check_schedule(release: Release) -> None:
    if release.planned_start is None or release.planned_end is None:
        raise ValidationError({"planned_start": [_("Plan the deployment window before scheduling the release.")]})
    changes = list(release.changes.all())
    if not changes:
        raise ValidationError({"changes": [_("Add at least one change before scheduling the release.")]})
    dead = [c.number for c in changes if c.status in UNRELEASABLE_CHANGE_STATUSES]
    if dead:
        raise ValidationError({"changes": [_("Remove the rejected or cancelled changes first: %(numbers)s.")
                                           % {"numbers": ", ".join(sorted(dead))}]})
    _refuse_blocking_freeze(release)


def _check_start(release: Release) -> None:
    pending = sorted(c.number for c in release.changes.exclude(status__in=APPROVED_CHANGE_STATUSES))
    if pending:
        raise ValidationError({"changes": [
            _("Every change must be approved (by the CAB and the customer) and scheduled before deployment "
              "starts. Not yet: %(numbers)s.") % {"numbers": ", ".join(pending)}]})


def _release_effects(ctx: TransitionContext) -> None:
    """What each action checks and stamps on a release."""
    release, action, payload, now, stamp = ctx.ticket, ctx.action, ctx.payload, ctx.now, ctx.stamp
    if action == "schedule":
        _check_schedule(release)
    elif action == "start":
        _check_start(release)
        stamp("deploy_started_at", now)
    elif action == "complete":
        if not release.deployments.filter(result=DeploymentResult.SUCCESS).exists():
            raise ValidationError({"action": [
                _("Record at least one successful deployment before marking the release deployed.")]})
        stamp("deployed_at", now)
    elif action == "verify":
        stamp("verification_notes", str(payload["verification_notes"]).strip())
        stamp("verified_at", now)
    elif action == "roll_back":
        stamp("rollback_notes", str(payload["rollback_notes"]).strip())
        stamp("rolled_back_at", now)
    elif action == "close":
        stamp("closed_at", now)
    elif action == "cancel":
        stamp("cancel_reason", ctx.reason)
        stamp("closed_at", now)


def _release_after(ctx: TransitionContext) -> None:
    if ctx.ticket.status in FINISHED_STATUSES:
        # The changes are free to join another release now (the rows stay, as history).
        ReleaseChange.objects.filter(release=ctx.ticket, open=True).update(open=False)


RELEASE_KIND = kind_register(TicketKindSpec(model=Release, workflow=RELEASE_WORKFLOW, effects=_release_effects,
                                            after=_release_after))


@transaction.atomic
def release_transition(*, release_id: int, actor: Any, action: str, version: int | None = None,
                       payload: dict[str, Any] | None = None, now: datetime) -> Release:
    """Move a release through its table (the transition engine writes the status)."""
    release: Release = transition_run(spec=RELEASE_KIND, ticket_id=release_id, actor=actor, action=action,
                                      version=version, payload=payload, now=now)
    return release


@transaction.atomic
def deployment_record(
    *, release_id: int, actor: Any, environment: str, started_at: datetime, finished_at: datetime, result: str,
    site: str = "", deployed_by: Any = None, notes: str = "", now: datetime,
) -> Deployment:
    """Append one deployment record (environment or site, times, result, who) to the release."""
    _staff_only(actor)
    release = ticket_lock(Release, release_id)
    errors: dict[str, list[str]] = {}
    if release.status not in DEPLOYMENT_STATUSES:
        errors["release"] = [_("Deployments are recorded once deployment has started (now: %(status)s).")
                             % {"status": release.get_status_display()}]
    if environment not in Environment.values:
        errors["environment"] = [_("Choose test, staging or production.")]
    if result not in DeploymentResult.values:
        errors["result"] = [_("Choose succeeded, failed or rolled back.")]
    if finished_at < started_at:
        errors["finished_at"] = [_("The deployment cannot finish before it started.")]
    if finished_at > now + CLOCK_SKEW:
        errors["finished_at"] = [_("Record a deployment once it has finished: this time is in the future.")]
    if result in (DeploymentResult.FAILED, DeploymentResult.ROLLED_BACK) and not (notes or "").strip():
        errors["notes"] = [_("Say what went wrong.")]
    deployed_by = deployed_by or actor
    if deployed_by.is_customer or not deployed_by.is_active:
        errors["deployed_by"] = [_("Deployments are carried out by active staff.")]
    if errors:
        raise ValidationError(errors)
    deployment = Deployment.objects.create(
        release=release, environment=environment, site=(site or "").strip(), started_at=started_at,
        finished_at=finished_at, result=result, deployed_by=deployed_by, notes=(notes or "").strip(),
        recorded_by=actor, recorded_at=now,
    )
    ticket_touch(release, fields=[])
    event_record(ticket=release, actor=actor, action=EventAction.DEPLOYED, now=now, public=True, data={
        "deployment": deployment.pk, "environment": environment, "site": deployment.site, "result": result,
        "started_at": started_at, "finished_at": finished_at, "deployed_by": deployed_by.pk,
        "notes": deployment.notes,
    })
    return deployment


@transaction.atomic
def calendar_feed_key_ensure(*, user: Any, now: datetime) -> CalendarFeedKey:
    """The user's feed key, created on first use."""
    key, _created = CalendarFeedKey.objects.get_or_create(
        user=user, defaults={"key": secrets.token_urlsafe(24), "created_at": now})
    return key


@transaction.atomic
def calendar_feed_key_rotate(*, user: Any, now: datetime) -> CalendarFeedKey:
    """A new key: every subscription URL given out before stops working."""
    key, created = CalendarFeedKey.objects.select_for_update().get_or_create(
        user=user, defaults={"key": secrets.token_urlsafe(24), "created_at": now})
    if not created:
        key.key = secrets.token_urlsafe(24)
        key.created_at = now
        key.save(update_fields=["key", "created_at"])
    return key
