"""Signed one-click links: the closure sweep invites, the link rates once; tampered, expired,
reused or foreign-salted links open a clear page with no data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from incidents.models import Incident
from quality.links import link_token
from quality.models import RatingInvitation, SatisfactionRating
from quality.services import invitations_sweep, rating_invitation_send
from tickets.audit import chain_verify
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_incident(org_a, make_incident, contact_user_a):
    return make_incident(organization=org_a, status="closed", contact=contact_user_a, title="Pump controller fault")


def _token(invitation: RatingInvitation) -> str:
    return link_token(kind="rating", pk=invitation.pk, nonce=invitation.nonce)


def test_sweep_is_idempotent_and_emails_once(closed_incident, now):
    first = invitations_sweep(now=now)
    second = invitations_sweep(now=now)
    assert first["created"] == 1 and second["created"] == 0
    invitation = RatingInvitation.objects.get()
    assert invitation.email == "contact-a@example.com"
    assert rating_invitation_send(invitation_id=invitation.pk, now=now) is True
    assert rating_invitation_send(invitation_id=invitation.pk, now=now) is False
    assert len(mail.outbox) == 1
    assert closed_incident.number in mail.outbox[0].subject
    assert "/r/rate/" in mail.outbox[0].body
    # sent invitations are not queued again
    assert invitations_sweep(now=now)["queued"] == 0


def test_open_incidents_get_no_invitation(org_a, make_incident, now):
    make_incident(organization=org_a, status="resolved")
    assert invitations_sweep(now=now)["created"] == 0


def test_link_rates_once(client, closed_incident, now):
    invitations_sweep(now=now)
    invitation = RatingInvitation.objects.get()
    url = reverse("links:rate", args=[_token(invitation)])
    page = client.get(url)
    assert page.status_code == 200 and closed_incident.number in page.content.decode()
    done = client.post(url, {"stars": 2, "comment": "Slow"})
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    rating = SatisfactionRating.objects.get()
    assert (rating.stars, rating.source, rating.contact_id) == (2, "link", closed_incident.contact_id)
    # The rating is on the ticket's public history, inside its verified hash chain.
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=closed_incident.pk, action="rated")
    assert event.public and event.data["stars"] == 2 and event.data["comment"] == "Slow"
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[closed_incident.pk])) == []
    reused = client.get(url)
    assert reused.status_code == 410 and "already been used" in reused.content.decode()
    assert closed_incident.number not in reused.content.decode()
    assert client.post(url, {"stars": 5}).status_code == 410
    assert SatisfactionRating.objects.count() == 1


def test_portal_rating_uses_up_the_link(client, closed_incident, customer_a, now):
    invitations_sweep(now=now)
    invitation = RatingInvitation.objects.get()
    client.force_login(customer_a)
    client.post(reverse("portal:rate", args=["incident", closed_incident.pk]), {"stars": 5})
    client.logout()
    assert client.get(reverse("links:rate", args=[_token(invitation)])).status_code == 410


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: "x" + t,  # payload changed
    lambda t: t.split(":")[0],  # signature cut off
    lambda t: "12345",
])
def test_tampered_link(client, closed_incident, now, mangle):
    invitations_sweep(now=now)
    invitation = RatingInvitation.objects.get()
    response = client.get(reverse("links:rate", args=[mangle(_token(invitation))]))
    body = response.content.decode()
    assert response.status_code == 400 and "not valid" in body
    assert closed_incident.number not in body and closed_incident.title not in body


def test_forged_nonce_and_foreign_salt(client, closed_incident, now):
    invitations_sweep(now=now)
    invitation = RatingInvitation.objects.get()
    forged = link_token(kind="rating", pk=invitation.pk, nonce="guessed")
    assert client.get(reverse("links:rate", args=[forged])).status_code == 400
    survey_salted = link_token(kind="survey", pk=invitation.pk, nonce=invitation.nonce)
    assert client.get(reverse("links:rate", args=[survey_salted])).status_code == 400


def test_expired_link(client, closed_incident, now):
    invitations_sweep(now=now)
    invitation = RatingInvitation.objects.get()
    RatingInvitation.objects.filter(pk=invitation.pk).update(expires_at=now - timedelta(seconds=1))
    response = client.get(reverse("links:rate", args=[_token(invitation)]))
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert closed_incident.number not in response.content.decode()
    assert client.post(reverse("links:rate", args=[_token(invitation)]), {"stars": 4}).status_code == 410
    assert not SatisfactionRating.objects.exists()


def test_expired_signature(client, closed_incident, now):
    import time_machine

    invitations_sweep(now=now)
    invitation = RatingInvitation.objects.get()
    token = _token(invitation)
    with time_machine.travel(now + timedelta(days=90)):
        response = client.get(reverse("links:rate", args=[token]))
    assert response.status_code == 410
