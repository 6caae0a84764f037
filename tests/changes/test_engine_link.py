"""The customer's answer by signed link is a transition through the one engine (issue #18), taken
by a `signed_link` actor that the change's table names for approve / reject and nothing else."""

from __future__ import annotations

import pytest

from changes.links import approval_token
from changes.models import Change, CustomerApproval
from changes.services import change_transition, customer_approval_by_link
from opsdesk.errors import TransitionNotAllowed
from tickets.audit import chain_verify
from tickets.models import TicketEvent
from tickets.transitions import ACTOR_SIGNED_LINK, ACTOR_SYSTEM, SystemActor

pytestmark = pytest.mark.django_db


def test_the_answer_by_link_goes_through_the_engine(make_change, now):
    change = make_change(status="customer_approval")
    approval = CustomerApproval.objects.of_change(change).get()
    customer_approval_by_link(token=approval_token(pk=approval.pk, nonce=approval.nonce), approve=True, comment="",
                              name="Zhao Min", now=now)
    event = TicketEvent.objects.filter(ticket_kind="change", ticket_id=change.pk, action="transition").last()
    assert event.data["action"] == "approve" and event.data["status"] == ["customer_approval", "approved"]
    assert event.data["channel"] == "link" and event.data["by"] == "Zhao Min"
    # The event's actor is the contact's portal user when it has one (no login: a signed_link actor).
    assert "customer_approved_at" in event.data["changes"] and event.actor_id == change.contact.user_id
    assert Change.objects.get(pk=change.pk).version == change.version + 1
    assert list(chain_verify(ticket_model=Change, ticket_ids=[change.pk])) == []


@pytest.mark.parametrize("kind", [ACTOR_SIGNED_LINK, ACTOR_SYSTEM])
def test_non_user_actors_take_only_what_the_table_names(make_change, now, kind):
    change = make_change(status="approved")
    with pytest.raises(TransitionNotAllowed):
        change_transition(change_id=change.pk, actor=SystemActor(actor_kind=kind), action="schedule", now=now)
    with pytest.raises(TransitionNotAllowed):
        change_transition(change_id=change.pk, actor=SystemActor(actor_kind=kind), action="approve", now=now)
