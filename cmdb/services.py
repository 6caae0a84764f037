"""Writes of the CMDB: CIs (create, update, retire through status), relationships and history.

Every change of a CI writes one CIChange row per field (who, when, old → new) in the same
transaction. CIs carry `version`: a write that read an older version is refused (ConflictError,
HTTP 409). Nothing is deleted: CIs are retired (status), relationships are retired (active=False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from opsdesk.errors import ConflictError

from .attributes import clean_values
from .bulk import bulk_insert, bulk_update
from .catalog import SERVICE_CLASSES, STANDARD_ATTRIBUTES
from .choices import SOURCE_IS_DEPENDANT, ChangeSource, CIStatus, RelationType
from .models import CI, CIChange, CIClass, CIRelation, MaintenanceContract
from .transfer import ImportPlan, RowError, plan_import, read_table

LOCATION_PARTS = ("site", "building", "floor", "room", "rack")
# Fields a CI write may set, in the order history shows them. `organization` is fixed at creation.
EDITABLE_FIELDS = ("name", "ci_class", "status", *LOCATION_PARTS, "location", "serial", "asset_tag", "vendor",
                   "model", "purchase_date", "warranty_end", "contract", "in_service_date", "design_life_years",
                   "end_of_life", "end_of_support", "attributes")
TEXT_LIMITS = {"name": 200, "location": 200, "site": 100, "building": 100, "floor": 40, "room": 100, "rack": 40,
               "serial": 100, "asset_tag": 100, "vendor": 100, "model": 100}


def location_text(*, site: str = "", building: str = "", floor: str = "", room: str = "", rack: str = "") -> str:
    """The readable location (API `location`) from its structured parts: "Site / Building / 3F / Room / Rack"."""
    return " / ".join(part.strip() for part in (site, building, floor, room, rack) if part and part.strip())[:200]


def history_text(value: Any) -> str:
    """How a field value is written into history."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, CIClass):
        return value.code
    if isinstance(value, MaintenanceContract):
        return value.number
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def ci_validate(*, ci: CI, raw_attributes: Any, check_attributes: bool = True) -> dict[str, Any]:
    """Field-level validation of a CI about to be written (no uniqueness query). Returns the
    cleaned attribute values; raises ValidationError({field: [msg]}, attribute errors under
    "attributes.<name>"). Without `check_attributes` the values are kept as they are (a status
    change must not fail because an admin made an attribute required after the CI was recorded)."""
    errors: dict[str, list[str]] = {}
    if not ci.name:
        errors["name"] = [_("This field is required.")]
    for name, limit in TEXT_LIMITS.items():
        if len(getattr(ci, name) or "") > limit:
            errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
    if ci.status not in CIStatus.values:
        errors["status"] = [_("Unknown status.")]
    if ci.purchase_date and ci.warranty_end and ci.warranty_end < ci.purchase_date:
        errors["warranty_end"] = [_("The warranty cannot end before the purchase date.")]
    if ci.design_life_years is not None and not 1 <= ci.design_life_years <= 50:
        errors["design_life_years"] = [_("Between 1 and 50 years.")]
    if ci.life_start and ci.end_of_life and ci.end_of_life < ci.life_start:
        errors["end_of_life"] = [_("The end of life cannot be before the start of service.")]
    if ci.contract is not None and ci.contract.organization_id != ci.organization_id:
        errors["contract"] = [_("The contract belongs to another organisation.")]
    if check_attributes:
        cleaned, attr_errors = clean_values(ci.ci_class.attributes or [], raw_attributes)
    else:
        cleaned, attr_errors = dict(raw_attributes or {}), {}
    for name, message in attr_errors.items():
        errors[f"attributes.{name}" if name else "attributes"] = [message]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _asset_tag_check(ci: CI) -> None:
    if ci.asset_tag and CI.objects.filter(organization_id=ci.organization_id, asset_tag=ci.asset_tag).exclude(
            pk=ci.pk).exists():
        raise ValidationError({"asset_tag": [_("This organisation already has a CI with this asset tag.")]})


def _record(*, ci: CI, changes: list[FieldChange], actor: Any, now: datetime, source: str) -> None:
    CIChange.objects.bulk_create([
        CIChange(ci=ci, at=now, actor=actor if getattr(actor, "pk", None) else None, source=source, field=c.field,
                 old=c.old, new=c.new) for c in changes
    ])


@transaction.atomic
def ci_create(*, name: str, ci_class: CIClass, organization: Organization, status: str = CIStatus.IN_USE,
              location: str = "", serial: str = "", vendor: str = "", model: str = "", site: str = "",
              building: str = "", floor: str = "", room: str = "", rack: str = "", asset_tag: str = "",
              purchase_date: date | None = None, warranty_end: date | None = None,
              contract: MaintenanceContract | None = None, attributes: dict[str, Any] | None = None,
              in_service_date: date | None = None, design_life_years: int | None = None,
              end_of_life: date | None = None, end_of_support: date | None = None,
              actor: Any = None, now: datetime | None = None, source: str = ChangeSource.SYSTEM) -> CI:
    now = now or timezone.now()
    parts = {"site": _text(site), "building": _text(building), "floor": _text(floor), "room": _text(room),
             "rack": _text(rack)}
    ci = CI(name=_text(name), ci_class=ci_class, organization=organization, status=status,
            location=location_text(**parts) or _text(location), serial=_text(serial), vendor=_text(vendor),
            model=_text(model), asset_tag=_text(asset_tag), purchase_date=purchase_date, warranty_end=warranty_end,
            contract=contract, in_service_date=in_service_date, design_life_years=design_life_years,
            end_of_life=end_of_life, end_of_support=end_of_support, **parts)
    ci.attributes = ci_validate(ci=ci, raw_attributes=attributes)
    _asset_tag_check(ci)
    ci.save()
    _record(ci=ci, changes=[FieldChange("created", "", f"{ci.name} ({ci_class.code})")], actor=actor, now=now,
            source=source)
    return ci


def ci_set(*, ci: CI, changes: dict[str, Any]) -> None:
    """Set `changes` on an unsaved CI, keeping `location` readable from its parts (no history)."""
    for key, value in changes.items():
        setattr(ci, key, _text(value) if key in TEXT_LIMITS else value)
    composed = location_text(**{p: getattr(ci, p) for p in LOCATION_PARTS})
    if composed:
        ci.location = composed


def ci_apply(*, ci: CI, changes: dict[str, Any]) -> list[FieldChange]:
    """Set `changes` on the (unsaved) CI and return what differs, old → new, for history. Keeps
    `location` readable from its parts. Shared by ci_update and the importer. Does not validate."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({key: [_("This field cannot be changed here.")] for key in sorted(unknown)})
    before = {name: getattr(ci, name) for name in EDITABLE_FIELDS}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            value = _text(value)
        setattr(ci, key, value)
    if any(key in changes for key in LOCATION_PARTS):
        composed = location_text(**{p: getattr(ci, p) for p in LOCATION_PARTS})
        ci.location = composed or (_text(changes.get("location")) if "location" in changes else "")
    out: list[FieldChange] = []
    for name in EDITABLE_FIELDS:
        old, new = before[name], getattr(ci, name)
        if name == "attributes":
            old, new = old or {}, new or {}
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    out.append(FieldChange(f"attr:{key}", history_text(old.get(key)), history_text(new.get(key))))
        elif old != new:
            out.append(FieldChange(name, history_text(old), history_text(new)))
    return out


@transaction.atomic
def ci_update(*, ci_id: int, actor: Any, changes: dict[str, Any], version: int | None = None,
              now: datetime | None = None, source: str = ChangeSource.SYSTEM) -> CI:
    """Change fields of a CI (attributes are replaced as a whole by what is sent, after
    validation). Retiring (status → retired) also retires its relationships."""
    now = now or timezone.now()
    ci = CI.objects.select_for_update(of=("self",)).select_related("ci_class", "contract").get(pk=ci_id)
    if version is not None and version != ci.version:
        raise ConflictError(current_version=ci.version)
    old_attributes = dict(ci.attributes or {})
    raw_attributes = changes.get("attributes", ci.attributes)
    diff = ci_apply(ci=ci, changes={k: v for k, v in changes.items() if k != "attributes"})
    ci.attributes = ci_validate(ci=ci, raw_attributes=raw_attributes,
                                check_attributes="attributes" in changes or "ci_class" in changes)
    diff += [FieldChange(f"attr:{key}", history_text(old_attributes.get(key)), history_text(ci.attributes.get(key)))
             for key in sorted(set(old_attributes) | set(ci.attributes))
             if old_attributes.get(key) != ci.attributes.get(key)]
    if not diff:
        return ci
    _asset_tag_check(ci)
    ci.version += 1
    ci.save()
    _record(ci=ci, changes=diff, actor=actor, now=now, source=source)
    if ci.status == CIStatus.RETIRED:
        for relation in CIRelation.objects.filter(Q(source=ci) | Q(target=ci), active=True):
            relation_retire(relation_id=relation.pk, actor=actor, now=now, source=source)
    return ci


def _relation_label(relation: CIRelation) -> str:
    return f"{relation.source.name} {RelationType(relation.type).label} {relation.target.name}"


@transaction.atomic
def relation_create(*, source: CI, target: CI, type: str, actor: Any, now: datetime | None = None,  # noqa: A002
                    note: str = "", change_source: str = ChangeSource.SYSTEM) -> CIRelation:
    """Link two CIs (`source <type> target`); recorded in both CIs' history."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if type not in RelationType.values:
        errors["type"] = [_("Unknown relationship type.")]
    if source.pk == target.pk:
        errors["target"] = [_("A CI cannot be related to itself.")]
    if CIStatus.RETIRED in (source.status, target.status):
        errors["target"] = [_("Retired CIs cannot get new relationships.")]
    if len(note) > 200:
        errors["note"] = [_("At most %(n)s characters.") % {"n": 200}]
    if errors:
        raise ValidationError(errors)
    source_first = SOURCE_IS_DEPENDANT[RelationType(type)]
    relation = CIRelation(source=source, target=target, type=type, note=note.strip(), created_at=now,
                          created_by=actor if getattr(actor, "pk", None) else None,
                          dependant=source if source_first else target, dependency=target if source_first else source)
    try:
        with transaction.atomic():
            relation.save()
    except IntegrityError:
        raise ValidationError({"target": [_("This relationship already exists.")]}) from None
    label = _relation_label(relation)
    for ci in (source, target):
        _record(ci=ci, changes=[FieldChange("relation", "", label)], actor=actor, now=now, source=change_source)
    return relation


@transaction.atomic
def relation_retire(*, relation_id: int, actor: Any, now: datetime | None = None,
                    source: str = ChangeSource.SYSTEM) -> CIRelation:
    """End a relationship (kept, marked inactive); recorded in both CIs' history. Idempotent."""
    now = now or timezone.now()
    relation = CIRelation.objects.select_for_update().select_related("source", "target").get(pk=relation_id)
    if not relation.active:
        return relation
    relation.active = False
    relation.retired_at = now
    relation.retired_by = actor if getattr(actor, "pk", None) else None
    relation.save(update_fields=["active", "retired_at", "retired_by"])
    label = _relation_label(relation)
    for ci in (relation.source, relation.target):
        _record(ci=ci, changes=[FieldChange("relation", label, "")], actor=actor, now=now, source=source)
    return relation


@transaction.atomic
def contract_create(*, organization: Organization, number: str, vendor: str, starts_on: date, ends_on: date,
                    description: str = "") -> MaintenanceContract:
    contract = MaintenanceContract(organization=organization, number=number.strip(), vendor=vendor.strip(),
                                   starts_on=starts_on, ends_on=ends_on, description=description)
    contract.full_clean()
    contract.save()
    return contract


@transaction.atomic
def ci_class_catalog_apply() -> int:
    """Give the standard classes their attribute sets where none are defined yet (and mark the
    business-service class). Returns how many classes were changed. Idempotent."""
    changed = 0
    for klass in CIClass.objects.filter(code__in=list(STANDARD_ATTRIBUTES)):
        fields = []
        if not klass.attributes:
            klass.attributes = STANDARD_ATTRIBUTES[klass.code]
            fields.append("attributes")
        if klass.code in SERVICE_CLASSES and not klass.is_service:
            klass.is_service = True
            fields.append("is_service")
        if fields:
            klass.save(update_fields=fields)
            changed += 1
    return changed


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, in a dry run, would do). Errors carry the file's row number (header
    = row 1) and column; when there is any error nothing is written."""

    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    error_count: int

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.error_count


def ci_import(*, content: bytes, filename: str, actor: Any, now: datetime, dry_run: bool) -> ImportReport:
    """Import CIs from a CSV or .xlsx file (format: cmdb/transfer.py). A dry run validates and
    reports without writing; a real run with any row error writes nothing either (all or
    nothing). Idempotent: importing the same file again changes nothing. Bulk reads and writes:
    a few queries per 2,000 rows. Raises ImportFileError when the file cannot be read."""
    with transaction.atomic():
        plan = plan_import(read_table(content, filename), lock=not dry_run)
        created = sum(1 for p in plan.planned if p.create)
        report = ImportReport(dry_run=dry_run, rows=plan.rows, created=created, updated=len(plan.planned) - created,
                              unchanged=plan.unchanged, errors=plan.errors, error_count=plan.error_count)
        if dry_run or plan.error_count or not plan.planned:
            return report
        _import_write(plan=plan, actor=actor, now=now)
        return report


def _import_write(*, plan: ImportPlan, actor: Any, now: datetime) -> None:
    actor = actor if getattr(actor, "pk", None) else None
    new_cis: list[CI] = []
    updated: list[CI] = []
    history: list[tuple[CI, list[FieldChange]]] = []
    fields: set[str] = set()
    for item in plan.planned:
        if item.create:  # history says "created"; no field-by-field diff to compute
            ci_set(ci=item.ci, changes=item.changes)
            new_cis.append(item.ci)
            history.append((item.ci, [FieldChange("created", "", f"{item.ci.name} ({item.ci.ci_class.code})")]))
        else:
            diff = ci_apply(ci=item.ci, changes=item.changes)
            item.ci.version += 1
            item.ci.updated_at = now
            updated.append(item.ci)
            history.append((item.ci, diff))
            fields.update(item.changes)
            if any(key in item.changes for key in LOCATION_PARTS):
                fields.add("location")
    # Asset tags: unique per organisation; the plan matched by tag first, so only a tag moving onto
    # another CI can clash, and the constraint then refuses the whole import.
    try:
        with transaction.atomic():
            bulk_insert(CI, new_cis)
            bulk_update(CI, updated, sorted({*fields, "version", "updated_at"}))
    except IntegrityError:
        raise ValidationError({"asset_tag": [_("An asset tag in the file is already used by another CI of the "
                                               "organisation.")]}) from None
    bulk_insert(CIChange, [CIChange(ci_id=ci.pk, at=now, actor=actor, source=ChangeSource.IMPORT, field=c.field,
                                    old=c.old, new=c.new) for ci, changes in history for c in changes])
