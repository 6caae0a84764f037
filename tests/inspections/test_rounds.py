"""Rounds: generated once per plan and period however many beats run; answered once per UUID; a
finding opens an incident on the CI (or adds to the open one); overdue rounds escalate once; a
store check posts the counted difference as a spares movement waiting for approval."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from inspections.models import Answer, ChecklistItem, InspectionRound, RoundTarget
from inspections.services import (
    _round_create,
    answer_record,
    round_transition,
    rounds_escalate_overdue,
    rounds_generate,
    store_count_record,
)
from notifications.models import Notification
from spares.choices import MovementKind, MovementStatus
from spares.services import movement_approve, movement_request, spare_part_create, storeroom_create
from tests.kernel.test_created_with_head import assert_created_with_head
from tickets.models import Attachment, Comment, TicketEvent

from .conftest import SH, at

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def test_generation_is_idempotent_across_beats(make_plan, cameras):
    plan = make_plan("monthly-system", cis=cameras)
    now = at(2026, 9, 28)
    assert rounds_generate(now=now).created == 1  # a week ahead: September's round only (October's is on the 8th)
    first = rounds_generate(now=now, until=date(2026, 10, 31))
    second = rounds_generate(now=now, until=date(2026, 10, 31))
    assert (first.created, second.created, second.existing) == (1, 0, 2)  # then October's; nothing twice
    rounds = list(InspectionRound.objects.filter(plan=plan).order_by("period_start"))
    assert [(r.period_start, r.scheduled_for) for r in rounds] == [
        (date(2026, 9, 1), date(2026, 9, 1)), (date(2026, 10, 1), date(2026, 10, 8))]
    # Due at the end of the 5th working day: 8, 9, 10 (a make-up Saturday), 12, 13 October.
    assert rounds[1].due_at == datetime(2026, 10, 14, tzinfo=SH)
    assert rounds[0].group_id == plan.group_id and rounds[0].number.startswith("INS-")
    assert RoundTarget.objects.filter(round=rounds[0]).count() == 5
    assert TicketEvent.objects.filter(ticket_kind="inspection", ticket_id=rounds[0].pk, action="created").count() == 1


def test_a_round_is_written_with_its_head_and_a_lost_race_writes_nothing(make_plan, cameras, monkeypatch):
    plan = make_plan("monthly-system", cis=cameras)
    with CaptureQueriesContext(connection) as ctx:
        rounds_generate(now=at(2026, 11, 2), plan_ids=[plan.pk], until=date(2026, 11, 3))
    ticket = InspectionRound.objects.get(plan=plan)
    event = assert_created_with_head(InspectionRound, ticket, ctx.captured_queries)
    assert event.actor_id is None and event.data["cis"] == 5
    assert RoundTarget.objects.filter(round=ticket).count() == 5
    # A beat whose check missed the round another beat was inserting: the unique constraint refuses
    # the row, and neither it, its event nor its targets are written; the transaction goes on.
    counts = (InspectionRound.objects.count(), TicketEvent.objects.count(), RoundTarget.objects.count())
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    made = _round_create(plan=plan, period_start=ticket.period_start, period_end=ticket.period_end,
                         scheduled_for=ticket.scheduled_for, due=ticket.due_at, now=at(2026, 11, 2),
                         covered=lambda: [])
    monkeypatch.undo()
    assert made is None
    assert (InspectionRound.objects.count(), TicketEvent.objects.count(), RoundTarget.objects.count()) == counts
    assert InspectionRound.objects.get(plan=plan).pk == ticket.pk


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_beats_make_one_round(templates_and_calendar, make_plan, cameras):
    plan = make_plan("weekly-spot-check", frequency="weekly", sample_size=2, cis=cameras)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def beat() -> None:
        try:
            barrier.wait()
            rounds_generate(now=at(2026, 11, 4), until=date(2026, 11, 6))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rounds = InspectionRound.objects.filter(plan=plan)
    assert rounds.count() == 1
    assert RoundTarget.objects.filter(round=rounds.get()).count() == 2  # the spot check's sample of 2


def _round(make_plan, cameras, code="monthly-system", **kw) -> InspectionRound:
    plan = make_plan(code, cis=cameras, **kw)
    rounds_generate(now=at(2026, 11, 2), plan_ids=[plan.pk], until=date(2026, 11, 3))
    return InspectionRound.objects.get(plan=plan)


def _item(ticket, kind, position=None) -> ChecklistItem:
    qs = ChecklistItem.objects.filter(template=ticket.plan.template, kind=kind)
    return qs.get(position=position) if position else qs.first()


def test_answer_accepted_once_by_uuid(make_plan, cameras, eng):
    ticket = _round(make_plan, cameras)
    item = _item(ticket, "pass_fail")
    key = str(uuid.uuid4())
    data = {"uuid": key, "ci": cameras[0].pk, "item": item.pk, "passed": True}
    answer, created = answer_record(round_id=ticket.pk, actor=eng, data=data, now=at(2026, 11, 2, 11))
    again, created_again = answer_record(round_id=ticket.pk, actor=eng, data=data, now=at(2026, 11, 2, 12))
    assert created and not created_again and again.pk == answer.pk
    assert Answer.objects.filter(round=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.assignee_id == eng.pk  # the first answer starts the round


def test_bad_answers_are_field_errors(make_plan, cameras, eng):
    ticket = _round(make_plan, cameras)
    reading = _item(ticket, "reading")
    with pytest.raises(ValidationError) as err:
        answer_record(round_id=ticket.pk, actor=eng, now=at(2026, 11, 2, 11),
                      data={"uuid": "nope", "ci": cameras[0].pk, "item": reading.pk, "reading": "1"})
    assert "uuid" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        answer_record(round_id=ticket.pk, actor=eng, now=at(2026, 11, 2, 11),
                      data={"uuid": str(uuid.uuid4()), "ci": cameras[0].pk, "item": reading.pk, "reading": "warm"})
    assert "reading" in err.value.message_dict


def test_out_of_limit_reading_opens_an_incident_with_the_photo(make_plan, cameras, eng):
    ticket = _round(make_plan, cameras)
    temperature = _item(ticket, "reading", position=2)  # 10–30 °C
    photo = SimpleUploadedFile("hot.png", PNG, content_type="image/png")
    answer, _ = answer_record(round_id=ticket.pk, actor=eng, photo=photo, now=at(2026, 11, 2, 11), data={
        "uuid": str(uuid.uuid4()), "ci": cameras[1].pk, "item": temperature.pk, "reading": "41.5", "note": "空调停机"})
    assert answer.finding and answer.out_of_limits and answer.incident is not None
    incident = Incident.objects.get(pk=answer.incident_id)
    assert (incident.ci_id, incident.channel, incident.organization_id) == (cameras[1].pk, "inspection",
                                                                            ticket.organization_id)
    assert "41.500" in incident.description and "空调停机" in incident.description
    assert Attachment.objects.filter(ticket_kind="incident", ticket_id=incident.pk).count() == 1
    # Within limits: no incident.
    ok, _ = answer_record(round_id=ticket.pk, actor=eng, now=at(2026, 11, 2, 11), data={
        "uuid": str(uuid.uuid4()), "ci": cameras[2].pk, "item": temperature.pk, "reading": "22"})
    assert not ok.finding and ok.incident_id is None


def test_failed_item_links_to_the_open_incident_on_the_ci(make_plan, cameras, eng, make_incident, org):
    ticket = _round(make_plan, cameras)
    existing = make_incident(organization=org, ci=cameras[3], title="摄像头离线")
    item = _item(ticket, "pass_fail")
    answer, _ = answer_record(round_id=ticket.pk, actor=eng, now=at(2026, 11, 2, 11), data={
        "uuid": str(uuid.uuid4()), "ci": cameras[3].pk, "item": item.pk, "passed": "false"})
    assert answer.incident_id == existing.pk
    assert Incident.objects.filter(ci=cameras[3]).count() == 1
    assert Comment.objects.filter(ticket_kind="incident", ticket_id=existing.pk, body__contains=ticket.number).exists()
    # Answering the same item again (a corrected answer) keeps one current answer and no new incident.
    again, _ = answer_record(round_id=ticket.pk, actor=eng, now=at(2026, 11, 2, 12), data={
        "uuid": str(uuid.uuid4()), "ci": cameras[3].pk, "item": item.pk, "passed": "false"})
    assert again.incident_id == existing.pk
    assert Answer.objects.filter(target__ci=cameras[3], item=item, current=True).count() == 1
    assert Answer.objects.filter(target__ci=cameras[3], item=item).count() == 2


def test_photo_required_and_complete_needs_every_answer(make_plan, cameras, eng):
    ticket = _round(make_plan, cameras[:1], code="quarterly-camera-cleaning", frequency="quarterly")
    photo_item = ChecklistItem.objects.get(template=ticket.plan.template, photo_required=True)
    with pytest.raises(ValidationError) as err:
        answer_record(round_id=ticket.pk, actor=eng, now=at(2026, 11, 2, 11), data={
            "uuid": str(uuid.uuid4()), "ci": cameras[0].pk, "item": photo_item.pk, "passed": True})
    assert "photo" in err.value.message_dict
    round_transition(round_id=ticket.pk, actor=eng, action="start", now=at(2026, 11, 2, 11))
    with pytest.raises(ValidationError):
        round_transition(round_id=ticket.pk, actor=eng, action="complete", now=at(2026, 11, 2, 11))
    for item in ChecklistItem.objects.filter(template=ticket.plan.template):
        data = {"uuid": str(uuid.uuid4()), "ci": cameras[0].pk, "item": item.pk, "passed": True, "choice": "good"}
        photo = SimpleUploadedFile("p.png", PNG, content_type="image/png") if item.photo_required else None
        answer_record(round_id=ticket.pk, actor=eng, data=data, photo=photo, now=at(2026, 11, 2, 11))
    done = round_transition(round_id=ticket.pk, actor=eng, action="complete", now=at(2026, 11, 2, 12))
    assert done.status == "done"
    with pytest.raises(ValidationError):
        answer_record(round_id=ticket.pk, actor=eng, now=at(2026, 11, 2, 13), data={
            "uuid": str(uuid.uuid4()), "ci": cameras[0].pk, "item": photo_item.pk, "passed": True})


def test_overdue_round_escalates_to_the_group_lead_once(make_plan, cameras, lead):
    ticket = _round(make_plan, cameras)
    assert rounds_escalate_overdue(now=at(2026, 11, 5)) == 0
    late = at(2026, 11, 20)
    assert rounds_escalate_overdue(now=late) == 1
    assert rounds_escalate_overdue(now=late) == 0
    ticket.refresh_from_db()
    assert ticket.escalated_at == late and ticket.is_overdue(late)
    assert Notification.objects.filter(user=lead, title__contains=ticket.number).count() == 1


def test_overdue_round_notice_goes_through_the_notification_rules(make_plan, cameras, lead):
    from notifications.choices import ChannelKind
    from notifications.models import Delivery, NotificationChannel, NotificationRule

    lead.email = "lead@desk.test"
    lead.save()
    channel = NotificationChannel.objects.create(name="Mail", kind=ChannelKind.EMAIL, is_active=True)
    rule = NotificationRule.objects.create(name="Escalations to the lead", event="escalation",
                                           recipients=["group_lead"])
    rule.channels.set([channel])
    ticket = _round(make_plan, cameras)
    late = at(2026, 11, 20)
    assert rounds_escalate_overdue(now=late) == 1
    delivery = Delivery.objects.get(rule=rule)
    assert delivery.user == lead and delivery.event == "escalation" and ticket.number in json.dumps(
        delivery.payload, ensure_ascii=False)
    assert not Notification.objects.filter(user=lead).exists()  # the rule reached the lead: no fallback


def test_store_check_posts_the_difference_for_approval(make_plan, eng, manager, now):
    room = storeroom_create(actor=eng, name="备件库", code="store-1")
    part = spare_part_create(actor=eng, now=now, data={"part_number": "CAM-LENS", "name": "镜头"})
    fan = spare_part_create(actor=eng, now=now, data={"part_number": "FAN-1", "name": "风扇"})
    movement_request(part_id=part.pk, kind=MovementKind.RECEIVE, quantity=10, actor=eng, now=now, to_storeroom=room)
    movement_request(part_id=fan.pk, kind=MovementKind.RECEIVE, quantity=4, actor=eng, now=now, to_storeroom=room)
    plan = make_plan("spares-store-check", frequency="quarterly", storeroom=room)
    rounds_generate(now=at(2026, 11, 2), plan_ids=[plan.pk], until=date(2026, 11, 3))
    ticket = InspectionRound.objects.get(plan=plan)
    short = store_count_record(round_id=ticket.pk, actor=eng, part_id=part.pk, counted=7, now=at(2026, 11, 2, 11))
    even = store_count_record(round_id=ticket.pk, actor=eng, part_id=fan.pk, counted="4", now=at(2026, 11, 2, 11))
    assert (short.booked, short.counted, short.difference) == (10, 7, -3)
    assert even.movement_id is None
    movement = short.movement
    assert (movement.kind, movement.quantity, movement.status) == (MovementKind.WRITE_OFF, 3, MovementStatus.PENDING)
    assert part.stock.get(storeroom=room).quantity == 10  # nothing moves before approval
    movement_approve(movement_id=movement.pk, actor=manager, now=at(2026, 11, 2, 12))
    assert part.stock.get(storeroom=room).quantity == 7
    with pytest.raises(ValidationError):
        store_count_record(round_id=ticket.pk, actor=eng, part_id=part.pk, counted=7, now=at(2026, 11, 2, 11))
    with pytest.raises(ValidationError):
        store_count_record(round_id=ticket.pk, actor=eng, part_id=fan.pk, counted=-1, now=at(2026, 11, 2, 11))
