"""Every write of the spare-parts store. Stock moves only through `movement_request()` (applied at
once, or held for approval) and `movement_approve()`; each takes units with one conditional UPDATE
(`quantity = quantity - n WHERE quantity >= n`), so concurrent issues can never drive a figure below
zero — the losing request is refused with a message, and the CHECK constraint backs it up."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from accounts.choices import Role
from changes.models import Change
from cmdb.choices import CIStatus
from cmdb.models import CI
from cmdb.services import ci_update
from incidents.choices import IncidentStatus
from incidents.followups import spare_loan_create
from incidents.models import Incident, SpareLoan
from opsdesk.errors import ConflictError

from .choices import (
    APPLIED_STATUSES,
    PUTS_INTO,
    RMA_NEXT,
    TAKES_FROM,
    MovementKind,
    MovementStatus,
    ReplacementDecision,
    RMAStatus,
)
from .models import ApprovalRule, Movement, Replacement, SparePart, Stock, Storeroom, WarrantyReturn

MAX_QUANTITY = 1_000_000
MAX_TEXT = 20000
# Who may approve or reject a pending movement (never the person who asked for it).
APPROVER_ROLES = frozenset({Role.MANAGER, Role.REGIONAL_LEAD, Role.SUPERVISOR})
PART_FIELDS = ("part_number", "name", "vendor", "model", "ci_class", "unit", "reorder_level",
               "approval_required", "is_active")


def _staff_only(user: Any) -> None:
    if user is None or not user.is_authenticated or getattr(user, "is_customer", True):
        raise PermissionDenied


def is_approver(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated
                and (user.is_superuser or getattr(user, "role", None) in APPROVER_ROLES))


# --- Parts and storerooms -----------------------------------------------------------------

def _part_clean(part: SparePart) -> None:
    part.part_number = (part.part_number or "").strip()
    part.name = (part.name or "").strip()
    try:
        part.full_clean(exclude=["version"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def spare_part_create(*, actor: Any, data: dict[str, Any], now: datetime) -> SparePart:
    """A new part (per make and model). `data` holds PART_FIELDS; stock starts at zero everywhere."""
    _staff_only(actor)
    unknown = sorted(set(data) - set(PART_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    part = SparePart(created_at=now, **data)
    _part_clean(part)
    part.save()
    return part


@transaction.atomic
def spare_part_update(*, part_id: int, actor: Any, data: dict[str, Any], version: int | None) -> SparePart:
    """Edit a part's description, reorder level or approval flag. Stock is never edited here."""
    _staff_only(actor)
    unknown = sorted(set(data) - set(PART_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    part = SparePart.objects.select_for_update().get(pk=part_id)
    if version is not None and int(version) != part.version:
        raise ConflictError(current_version=part.version)
    changed = [name for name, value in data.items() if getattr(part, name) != value]
    if not changed:
        return part
    for name in changed:
        setattr(part, name, data[name])
    _part_clean(part)
    part.version += 1
    part.save(update_fields=[*changed, "version"])
    return part


@transaction.atomic
def storeroom_create(*, actor: Any, name: str, code: str, organization: Any = None, location: str = "") -> Storeroom:
    """A storeroom on site at `organization`, or the provider's own when it is None."""
    _staff_only(actor)
    room = Storeroom(name=(name or "").strip(), code=(code or "").strip(), organization=organization,
                     location=(location or "").strip())
    try:
        room.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    room.save()
    return room


# --- Stock: the only two places a quantity changes ------------------------------------------

def _stock_take(*, part_id: int, storeroom_id: int, quantity: int, now: datetime) -> bool:
    """Take `quantity` units if (and only if) that many are there, in one statement."""
    taken = Stock.objects.filter(part_id=part_id, storeroom_id=storeroom_id, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity, updated_at=now)
    return taken == 1


def _stock_put(*, part_id: int, storeroom_id: int, quantity: int, now: datetime) -> None:
    # INSERT … ON CONFLICT DO NOTHING, then add: two receivers of a new part/storeroom pair never collide.
    Stock.objects.bulk_create([Stock(part_id=part_id, storeroom_id=storeroom_id, quantity=0, updated_at=now)],
                              ignore_conflicts=True)
    Stock.objects.filter(part_id=part_id, storeroom_id=storeroom_id).update(
        quantity=F("quantity") + quantity, updated_at=now)


def _apply(movement: Movement, *, now: datetime) -> None:
    """Move the units of `movement`; refuse (ValidationError, nothing changed) when there are too few."""
    if movement.kind in TAKES_FROM:
        assert movement.from_storeroom_id is not None
        if not _stock_take(part_id=movement.part_id, storeroom_id=movement.from_storeroom_id,
                           quantity=movement.quantity, now=now):
            held = (Stock.objects.filter(part_id=movement.part_id, storeroom_id=movement.from_storeroom_id)
                    .values_list("quantity", flat=True).first() or 0)
            raise ValidationError({"quantity": [
                _("Only %(held)s in stock in %(storeroom)s; %(wanted)s cannot be taken.")
                % {"held": held, "storeroom": movement.from_storeroom, "wanted": movement.quantity}]})
    if movement.kind in PUTS_INTO:
        assert movement.to_storeroom_id is not None
        _stock_put(part_id=movement.part_id, storeroom_id=movement.to_storeroom_id, quantity=movement.quantity,
                   now=now)
    movement.applied_at = now


# --- Movements ------------------------------------------------------------------------------

def approval_needed(*, part: SparePart, kind: str, quantity: int) -> bool:
    """Configuration as data: the part's own flag (issues and write-offs), or an active rule for
    this kind (of this part or of every part) whose threshold the quantity reaches."""
    if part.approval_required and kind in (MovementKind.ISSUE, MovementKind.WRITE_OFF):
        return True
    return ApprovalRule.objects.filter(Q(part__isnull=True) | Q(part_id=part.pk), kind=kind, is_active=True,
                                       min_quantity__lte=quantity).exists()


def _movement_errors(*, part: SparePart, kind: str, quantity: Any, from_storeroom: Storeroom | None,
                     to_storeroom: Storeroom | None, incident: Incident | None, change: Change | None,
                     note: str, reference: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in MovementKind.values:
        errors["kind"] = [_("Choose receive, issue, return, write-off or transfer.")]
        return errors
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = [_("Enter a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY}]
    if kind in TAKES_FROM and from_storeroom is None:
        errors["from_storeroom"] = [_("Choose the storeroom the parts leave.")]
    if kind not in TAKES_FROM and from_storeroom is not None:
        errors["from_storeroom"] = [_("This movement takes nothing from a storeroom.")]
    if kind in PUTS_INTO and to_storeroom is None:
        errors["to_storeroom"] = [_("Choose the storeroom the parts go into.")]
    if kind not in PUTS_INTO and to_storeroom is not None:
        errors["to_storeroom"] = [_("This movement puts nothing into a storeroom.")]
    if from_storeroom is not None and to_storeroom is not None and from_storeroom.pk == to_storeroom.pk:
        errors["to_storeroom"] = [_("A transfer goes to another storeroom.")]
    for name, room in (("from_storeroom", from_storeroom), ("to_storeroom", to_storeroom)):
        if room is not None and not room.is_active and name not in errors:
            errors[name] = [_("This storeroom is closed.")]
    if not part.is_active and kind in (MovementKind.RECEIVE, MovementKind.TRANSFER):
        errors["part"] = [_("This part is no longer stocked; only issues, returns and write-offs are recorded.")]
    if kind in (MovementKind.ISSUE, MovementKind.RETURN):
        if kind == MovementKind.ISSUE and incident is None and change is None:
            errors["incident"] = [_("Say which incident or change the parts are issued to.")]
        if incident is not None and change is not None:
            errors["change"] = [_("Issue to an incident or to a change, not both.")]
        if incident is not None and kind == MovementKind.ISSUE and incident.status == IncidentStatus.CANCELLED:
            errors["incident"] = [_("This incident was cancelled.")]
        target = incident or change
        room = from_storeroom if kind == MovementKind.ISSUE else to_storeroom
        if (target is not None and room is not None and room.organization_id is not None
                and room.organization_id != target.organization_id):
            errors["incident" if incident is not None else "change"] = [
                _("This storeroom is on site at another organisation; use the provider's or theirs.")]
    elif incident is not None or change is not None:
        errors["incident"] = [_("Only issues and returns refer to an incident or a change.")]
    if kind == MovementKind.WRITE_OFF and not note.strip():
        errors["note"] = [_("Say why the parts are written off.")]
    if len(note) > MAX_TEXT:
        errors["note"] = [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]
    if len(reference) > 100:
        errors["reference"] = [_("Keep it under %(n)s characters.") % {"n": 100}]
    return errors


@transaction.atomic
def movement_request(*, part_id: int, kind: str, quantity: int, actor: Any, now: datetime,
                     from_storeroom: Storeroom | None = None, to_storeroom: Storeroom | None = None,
                     incident: Incident | None = None, change: Change | None = None, reference: str = "",
                     note: str = "", loan: SpareLoan | None = None, skip_approval: bool = False,
                     approval_required: bool = False) -> Movement:
    """Record a movement. Without approval configured for it, the stock moves now (status done);
    otherwise it waits (status pending) and moves when approved. Too few in stock: ValidationError.
    `approval_required`: this movement waits for approval whatever is configured (a store check's
    correction)."""
    _staff_only(actor)
    try:
        part = SparePart.objects.get(pk=part_id)
    except (SparePart.DoesNotExist, TypeError, ValueError):
        raise SparePart.DoesNotExist from None
    note, reference = (note or "").strip(), (reference or "").strip()
    errors = _movement_errors(part=part, kind=kind, quantity=quantity, from_storeroom=from_storeroom,
                              to_storeroom=to_storeroom, incident=incident, change=change, note=note,
                              reference=reference)
    if errors:
        raise ValidationError(errors)
    pending = not skip_approval and (approval_required or approval_needed(part=part, kind=kind, quantity=quantity))
    movement = Movement(part=part, kind=kind, quantity=quantity, from_storeroom=from_storeroom,
                        to_storeroom=to_storeroom, incident=incident, change=change, loan=loan, reference=reference,
                        note=note, requested_by=actor, requested_at=now,
                        status=MovementStatus.PENDING if pending else MovementStatus.DONE)
    if not pending:
        _apply(movement, now=now)
    movement.save(force_insert=True)
    return movement


def _pending_lock(movement_id: int, actor: Any) -> Movement:
    _staff_only(actor)
    if not is_approver(actor):
        raise PermissionDenied
    try:
        movement = (Movement.objects.select_for_update(of=("self",))
                    .select_related("from_storeroom", "to_storeroom").get(pk=movement_id))
    except (Movement.DoesNotExist, TypeError, ValueError):
        raise Movement.DoesNotExist from None
    if movement.status != MovementStatus.PENDING:
        raise ValidationError({"status": [_("This movement was already decided (%(status)s).")
                                          % {"status": movement.get_status_display()}]})
    if movement.requested_by_id == actor.pk:
        raise ValidationError({"status": [_("Someone other than the requester approves or rejects it.")]})
    return movement


@transaction.atomic
def movement_approve(*, movement_id: int, actor: Any, now: datetime, note: str = "") -> Movement:
    """Approve a pending movement: the stock moves now (refused, still pending, if too few are left)."""
    movement = _pending_lock(movement_id, actor)
    _apply(movement, now=now)
    movement.status = MovementStatus.APPROVED
    movement.decided_by, movement.decided_at = actor, now
    movement.decision_note = (note or "").strip()[:500]
    movement.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "applied_at"])
    return movement


@transaction.atomic
def movement_reject(*, movement_id: int, actor: Any, now: datetime, note: str) -> Movement:
    """Reject a pending movement with a reason; nothing moves."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why it is rejected.")]})
    movement = _pending_lock(movement_id, actor)
    movement.status = MovementStatus.REJECTED
    movement.decided_by, movement.decided_at = actor, now
    movement.decision_note = note[:500]
    movement.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return movement


# --- Spare-device loans from the store ------------------------------------------------------

def _ci_retire(*, ci: CI, actor: Any, now: datetime) -> None:
    """A replaced device leaves service: retired through the CMDB's writer (its history records it)."""
    if ci.status != CIStatus.RETIRED:
        ci_update(ci_id=ci.pk, actor=actor, changes={"status": CIStatus.RETIRED}, now=now)


@transaction.atomic
def spare_loan_lend(*, incident_id: int, actor: Any, now: datetime, standby_ci: CI | None = None,
                    part: SparePart | None = None, storeroom: Storeroom | None = None, serial: str = "",
                    faulty_ci: CI | None = None, description: str = "", note: str = "",
                    due_back: datetime | None = None) -> SpareLoan:
    """Lend a standby device for an incident: a CI in status standby (the incidents app marks it in
    use until it comes back), or one unit of a part issued from a storeroom (returned to it when the
    loan ends).
    The loan itself is the incidents app's record; a loan never waits for approval."""
    _staff_only(actor)
    errors: dict[str, list[str]] = {}
    if standby_ci is not None and part is not None:
        errors["part"] = [_("Lend a standby device from the CMDB or a unit from the store, not both.")]
    if standby_ci is not None and standby_ci.status != CIStatus.STANDBY:
        errors["standby_ci"] = [_("This device is not on standby.")]
    if part is not None and storeroom is None:
        errors["storeroom"] = [_("Choose the storeroom the unit comes from.")]
    if errors:
        raise ValidationError(errors)
    serial = (serial or "").strip()[:80]
    if part is not None and not description.strip():
        description = f"{part.name} ({part.part_number})" + (f" SN {serial}" if serial else "")
    loan = spare_loan_create(incident_id=incident_id, actor=actor, description=description, faulty_ci=faulty_ci,
                             standby_ci=standby_ci, note=note, now=now, due_back=due_back)
    if part is not None:
        movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=1, actor=actor, now=now,
                         from_storeroom=storeroom, incident=loan.incident, loan=loan, reference=serial,
                         note=_("Lent as a standby device."), skip_approval=True)
    return loan


def spare_loan_restock(*, loan: SpareLoan, actor: Any, now: datetime) -> None:
    """The loan ended (called inside incidents.followups.spare_loan_return's transaction, which also
    puts a standby CI back on standby): a unit from the store goes back to its storeroom."""
    issued = (Movement.objects.filter(loan=loan, kind=MovementKind.ISSUE, status__in=APPLIED_STATUSES)
              .select_related("from_storeroom").first())
    if issued is not None and not Movement.objects.filter(loan=loan, kind=MovementKind.RETURN).exists():
        movement = Movement(part_id=issued.part_id, kind=MovementKind.RETURN, quantity=issued.quantity,
                            to_storeroom=issued.from_storeroom, incident_id=loan.incident_id, loan=loan,
                            reference=issued.reference, note=_("Standby device returned."), requested_by=actor,
                            requested_at=now, status=MovementStatus.DONE)
        _apply(movement, now=now)
        movement.save(force_insert=True)


# --- Replacement records --------------------------------------------------------------------

def _replacement_errors(*, decision: str, replaced_by: CI | None, ci: CI, replaced_on: date | None,
                        replacement_serial: str, note: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if decision not in ReplacementDecision.values:
        errors["decision"] = [_("Choose replace, repair or keep.")]
    if replaced_by is not None and replaced_by.pk == ci.pk:
        errors["replaced_by"] = [_("A device is not replaced by itself.")]
    if replaced_by is not None and replaced_by.organization_id != ci.organization_id:
        errors["replaced_by"] = [_("This device belongs to another organisation.")]
    if decision != ReplacementDecision.REPLACE and (replaced_by is not None or replacement_serial or replaced_on):
        errors["decision"] = [_("Only a replacement records the new device and its date.")]
    if len(replacement_serial) > 100:
        errors["replacement_serial"] = [_("Keep it under %(n)s characters.") % {"n": 100}]
    if len(note) > MAX_TEXT:
        errors["note"] = [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]
    return errors


@transaction.atomic
def replacement_record(*, ci: CI, month: date, faults: int, actor: Any, now: datetime, decision: str,
                       replaced_by: CI | None = None, replacement_serial: str = "", replaced_on: date | None = None,
                       note: str = "") -> Replacement:
    """Record the decision on a device flagged in `month` (one record per device and month)."""
    _staff_only(actor)
    replacement_serial, note = (replacement_serial or "").strip(), (note or "").strip()
    month = date(month.year, month.month, 1)
    errors = _replacement_errors(decision=decision, replaced_by=replaced_by, ci=ci, replaced_on=replaced_on,
                                 replacement_serial=replacement_serial, note=note)
    if Replacement.objects.filter(ci=ci, month=month).exists():
        errors["month"] = [_("A decision on this device for %(month)s is already recorded; edit it instead.")
                           % {"month": month.strftime("%Y-%m")}]
    if errors:
        raise ValidationError(errors)
    record = Replacement(ci=ci, month=month, faults=max(0, int(faults)), decision=decision, replaced_by=replaced_by,
                         replacement_serial=replacement_serial, replaced_on=replaced_on, decided_by=actor,
                         decided_at=now, note=note)
    record.save(force_insert=True)
    if decision == ReplacementDecision.REPLACE and replaced_on is not None:
        _ci_retire(ci=ci, actor=actor, now=now)
    return record


@transaction.atomic
def replacement_update(*, replacement_id: int, actor: Any, now: datetime, version: int | None,
                       data: dict[str, Any]) -> Replacement:
    """Complete or correct a record (e.g. the new device arrived). A stale `version` is refused."""
    _staff_only(actor)
    allowed = {"decision", "replaced_by", "replacement_serial", "replaced_on", "note"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    record = Replacement.objects.select_for_update(of=("self",)).select_related("ci").get(pk=replacement_id)
    if version is not None and int(version) != record.version:
        raise ConflictError(current_version=record.version)
    merged = {name: data.get(name, getattr(record, name)) for name in allowed}
    merged["replacement_serial"] = (merged["replacement_serial"] or "").strip()
    merged["note"] = (merged["note"] or "").strip()
    errors = _replacement_errors(ci=record.ci, **merged)
    if errors:
        raise ValidationError(errors)
    for name, value in merged.items():
        setattr(record, name, value)
    record.decided_by, record.decided_at = actor, now
    record.version += 1
    record.save()
    if record.decision == ReplacementDecision.REPLACE and record.replaced_on is not None:
        _ci_retire(ci=record.ci, actor=actor, now=now)
    return record


# --- warranty returns (RMA) -----------------------------------------------------------------------

def rma_create(*, ci: CI, actor: Any, now: datetime, sent_on: date, fault: str, vendor: str = "",
               vendor_ref: str = "", part: SparePart | None = None, note: str = "") -> WarrantyReturn:
    """Record a device sent to its vendor under warranty. The warranty must cover the day it is sent."""
    _staff_only(actor)
    fault, vendor = (fault or "").strip(), (vendor or ci.vendor or "").strip()
    errors: dict[str, list[str]] = {}
    if not fault:
        errors["fault"] = [_("Say what is wrong with it.")]
    if not vendor:
        errors["vendor"] = [_("This field is required.")]
    if ci.warranty_end is None or ci.warranty_end < sent_on:
        errors["ci"] = [_("This device is not under warranty on the day it is sent (warranty ends: %(end)s).")
                        % {"end": ci.warranty_end.isoformat() if ci.warranty_end else "–"}]
    if errors:
        raise ValidationError(errors)
    rma = WarrantyReturn(ci=ci, part=part, vendor=vendor[:100], vendor_ref=(vendor_ref or "").strip()[:100],
                         fault=fault, sent_on=sent_on, note=(note or "").strip(), created_by=actor, created_at=now)
    rma.save(force_insert=True)
    return rma


@transaction.atomic
def rma_advance(*, rma_id: int, actor: Any, to: str, on: date, version: int | None = None, vendor_ref: str = "",
                replacement_serial: str = "", note: str = "") -> WarrantyReturn:
    """Move an RMA on: sent → with the vendor → returned / replaced / refused, with the day it happened."""
    _staff_only(actor)
    rma = WarrantyReturn.objects.select_for_update().get(pk=rma_id)
    if version is not None and int(version) != rma.version:
        raise ConflictError(current_version=rma.version)
    allowed = RMA_NEXT.get(RMAStatus(rma.status), ())
    if to not in allowed:
        raise ValidationError({"status": [_("An RMA that is “%(status)s” cannot move to that status.")
                                          % {"status": rma.get_status_display()}]})
    if on < rma.sent_on:
        raise ValidationError({"on": [_("The date cannot be before the day it was sent.")]})
    if to == RMAStatus.REPLACED and not (replacement_serial or "").strip():
        raise ValidationError({"replacement_serial": [_("Give the serial number of the replacement.")]})
    rma.status = to
    if to == RMAStatus.WITH_VENDOR:
        rma.received_on = on
    else:
        rma.closed_on = on
    if vendor_ref.strip():
        rma.vendor_ref = vendor_ref.strip()[:100]
    if replacement_serial.strip():
        rma.replacement_serial = replacement_serial.strip()[:100]
    if note.strip():
        rma.note = f"{rma.note}\n{note.strip()}".strip()
    rma.version += 1
    rma.save()
    return rma
