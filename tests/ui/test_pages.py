"""The operator UI: every page renders for its role, errors become messages (never a 500),
customers never reach staff pages, and list pages keep a bounded number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Incident
from tickets.models import CallRecord, ServiceRequest

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.parametrize(("role_fixture", "target"), [
    ("operator", "incidents:hotline"),
    ("dispatcher", "incidents:queue"),
    ("engineer", "incidents:my_work"),
    ("analyst", "incidents:my_work"),
    ("supervisor", "quality:callbacks"),
    ("manager", "incidents:list"),
])
def test_home_redirects_by_role(request, client_as, role_fixture, target):
    user = request.getfixturevalue(role_fixture)
    response = client_as(user).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(target)


def test_customer_home_is_the_portal(client_as, customer_a):
    response = client_as(customer_a).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("portal:home")


@pytest.mark.parametrize(("role_fixture", "url_name"), [
    ("operator", "incidents:hotline"),
    ("dispatcher", "incidents:queue"),
    ("engineer", "incidents:my_work"),
    ("supervisor", "incidents:list"),
    ("operator", "tickets:list"),
    ("engineer", "cmdb:list"),
])
def test_pages_render_for_their_role(request, client_as, role_fixture, url_name, org_a, make_incident, ci_a):
    make_incident(organization=org_a, ci=ci_a)
    response = client_as(request.getfixturevalue(role_fixture)).get(reverse(url_name))
    assert response.status_code == 200


def test_detail_pages_render(client_as, dispatcher, org_a, ci_a, contact_a, make_incident, operator, now):
    from tickets.services import request_create

    inc = make_incident(organization=org_a, ci=ci_a, contact=contact_a)
    req = request_create(actor=operator, organization=org_a, title="New keyboard", request_type="service_request",
                         now=now)
    client = client_as(dispatcher)
    page = client.get(reverse("incidents:detail", args=[inc.pk]))
    assert page.status_code == 200
    assert inc.number in page.content.decode()
    assert 'value="assign"' in page.content.decode()
    assert client.get(reverse("tickets:detail", args=[req.pk])).status_code == 200
    assert client.get(reverse("cmdb:detail", args=[ci_a.pk])).status_code == 200


def test_customers_get_404_on_staff_pages(client_as, customer_a, org_a, ci_a, make_incident):
    inc = make_incident(organization=org_a, ci=ci_a)
    client = client_as(customer_a)
    for url in [reverse("incidents:hotline"), reverse("incidents:queue"), reverse("incidents:my_work"),
                reverse("incidents:list"), reverse("incidents:detail", args=[inc.pk]), reverse("tickets:list"),
                reverse("cmdb:list"), reverse("cmdb:detail", args=[ci_a.pk]), reverse("incidents:hotline_caller"),
                reverse("accounts:contact_options"), reverse("cmdb:ci_options")]:
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("incidents:transition", args=[inc.pk]), {"action": "cancel", "cancel-reason": "x"})
    assert response.status_code == 404
    assert Incident.objects.get(pk=inc.pk).status == "new"


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("incidents:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Hotline -----------------------------------------------------------------------------

def test_hotline_creates_incident_and_call_record(client_as, operator, org_a, contact_a, ci_a):
    response = client_as(operator).post(reverse("incidents:hotline"), {
        "phone": contact_a.phone, "organization": org_a.pk, "contact": contact_a.pk, "ci": ci_a.pk,
        "call_type": "incident", "title": "Core switch down", "impact": "high", "urgency": "high",
    })
    inc = Incident.objects.get(title="Core switch down")
    assert response.status_code == 302
    assert response.url == reverse("incidents:detail", args=[inc.pk])
    assert inc.fault_level == "I"
    assert inc.contact == contact_a
    call = CallRecord.objects.get()
    assert call.outcome == "answered" and call.ticket_id == inc.pk


def test_hotline_without_javascript_fills_caller_from_phone(client_as, operator, org_a, contact_a):
    client_as(operator).post(reverse("incidents:hotline"), {
        "phone": contact_a.phone, "call_type": "incident", "title": "Camera offline",
        "impact": "low", "urgency": "low",
    })
    inc = Incident.objects.get(title="Camera offline")
    assert inc.organization == org_a and inc.contact == contact_a


def test_hotline_level_override_needs_reason(client_as, operator, org_a):
    response = client_as(operator).post(reverse("incidents:hotline"), {
        "organization": org_a.pk, "call_type": "incident", "title": "Override", "impact": "low", "urgency": "low",
        "fault_level": "I",
    })
    assert response.status_code == 400
    assert "differs from the suggested level" in response.content.decode()
    assert not Incident.objects.exists()


def test_hotline_consultation_becomes_service_request(client_as, operator, org_a):
    response = client_as(operator).post(reverse("incidents:hotline"), {
        "organization": org_a.pk, "call_type": "consultation", "title": "How do I print in colour?",
    })
    req = ServiceRequest.objects.get()
    assert response.url == reverse("tickets:detail", args=[req.pk])
    assert req.request_type == "consultation"
    assert CallRecord.objects.get().ticket_kind == "request"


def test_hotline_caller_lookup_fragment(client_as, operator, contact_a, ci_a):
    response = client_as(operator).get(reverse("incidents:hotline_caller"), {"phone": contact_a.phone},
                                       HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{contact_a.pk}" selected' in html
    assert ci_a.name in html
    assert "Caller found" in html


def test_duplicates_panel_and_link_call(client_as, operator, org_a, ci_a, make_incident):
    inc = make_incident(organization=org_a, ci=ci_a, title="Switch flapping")
    client = client_as(operator)
    panel = client.get(reverse("incidents:hotline_duplicates"), {"organization": org_a.pk, "ci": ci_a.pk})
    assert inc.number in panel.content.decode()
    response = client.post(reverse("incidents:hotline_link", args=[inc.pk]), {"phone": "13800009999"})
    assert response.url == reverse("incidents:detail", args=[inc.pk])
    assert Incident.objects.count() == 1
    call = CallRecord.objects.get()
    assert call.ticket_id == inc.pk and call.ticket_kind == "incident"


def test_missed_call(client_as, operator):
    response = client_as(operator).post(reverse("incidents:hotline_missed"), {"missed-phone": "02088886666"})
    assert response.status_code == 302
    assert CallRecord.objects.get().outcome == "missed"


# --- Transitions, edit conflicts, timeline -----------------------------------------------

def test_refused_transition_shows_message(client_as, engineer, org_a, make_incident):
    inc = make_incident(organization=org_a)  # new: an engineer may not resolve it
    response = client_as(engineer).post(reverse("incidents:transition", args=[inc.pk]), {
        "action": "resolve", "resolve-version": inc.version, "resolve-cause_category": "hardware",
        "resolve-resolution": "x"}, follow=True)
    assert response.status_code in (200, 400)
    assert "not allowed" in response.content.decode()
    assert Incident.objects.get(pk=inc.pk).status == "new"


def test_assign_from_queue_returns_to_queue(client_as, dispatcher, engineer, group, org_a, make_incident):
    inc = make_incident(organization=org_a)
    response = client_as(dispatcher).post(reverse("incidents:transition", args=[inc.pk]), {
        "action": "assign", "assign-version": inc.version, "assign-group": group.pk, "assign-assignee": engineer.pk,
        "next": reverse("incidents:queue")})
    assert response.url == reverse("incidents:queue")
    inc.refresh_from_db()
    assert inc.status == "assigned" and inc.assignee == engineer


def test_transition_missing_field_shows_field_error(client_as, engineer, org_a, make_incident):
    inc = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    response = client_as(engineer).post(reverse("incidents:transition", args=[inc.pk]), {
        "action": "resolve", "resolve-version": inc.version, "resolve-cause_category": "hardware"})
    assert response.status_code == 400
    assert "field-error" in response.content.decode()


def test_stale_version_keeps_typed_title(client_as, dispatcher, org_a, make_incident, now):
    from incidents.services import incident_update

    inc = make_incident(organization=org_a, title="Original")
    stale = inc.version
    incident_update(incident_id=inc.pk, actor=dispatcher, version=stale, changes={"description": "other edit"},
                    now=now)
    response = client_as(dispatcher).post(reverse("incidents:edit", args=[inc.pk]), {
        "edit-version": stale, "edit-title": "My carefully typed title", "edit-description": "mine",
        "edit-impact": inc.impact, "edit-urgency": inc.urgency, "edit-fault_level": inc.fault_level})
    html = response.content.decode()
    assert response.status_code == 409
    assert 'value="My carefully typed title"' in html
    assert "changed by someone else" in html
    assert Incident.objects.get(pk=inc.pk).title == "Original"


def test_edit_saves(client_as, dispatcher, org_a, make_incident):
    inc = make_incident(organization=org_a, title="Original")
    response = client_as(dispatcher).post(reverse("incidents:edit", args=[inc.pk]), {
        "edit-version": inc.version, "edit-title": "Better title", "edit-impact": inc.impact,
        "edit-urgency": inc.urgency, "edit-fault_level": inc.fault_level})
    assert response.status_code == 302
    assert Incident.objects.get(pk=inc.pk).title == "Better title"


def test_comment_worklog_attachment(client_as, engineer, org_a, make_incident, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    inc = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    client = client_as(engineer)
    base = reverse("incidents:detail", args=[inc.pk])
    assert client.post(reverse("incidents:timeline_add", args=[inc.pk, "comment"]),
                       {"comment-body": "Checked the cabling"}).status_code == 302
    assert client.post(reverse("incidents:timeline_add", args=[inc.pk, "worklog"]), {
        "worklog-minutes": 30, "worklog-note": "Replaced patch cord", "worklog-work_date": "2020-01-01"},
    ).status_code == 302
    upload = SimpleUploadedFile("photo.txt", b"hello", content_type="text/plain")
    assert client.post(reverse("incidents:timeline_add", args=[inc.pk, "attachment"]),
                       {"attachment-file": upload}).status_code == 302
    page = client.get(base).content.decode()
    assert "Internal note" in page and "Replaced patch cord" in page and "photo.txt" in page
    from tickets.models import Attachment

    att = Attachment.objects.get()
    download = client.get(reverse("incidents:attachment", args=[inc.pk, att.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"hello"
    settings.ATTACHMENT_MAX_BYTES = 3
    too_big = SimpleUploadedFile("big.txt", b"hello", content_type="text/plain")
    response = client.post(reverse("incidents:timeline_add", args=[inc.pk, "attachment"]),
                           {"attachment-file": too_big})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_worklog_in_future_is_a_field_error(client_as, engineer, org_a, make_incident):
    inc = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    response = client_as(engineer).post(reverse("incidents:timeline_add", args=[inc.pk, "worklog"]), {
        "worklog-minutes": 30, "worklog-note": "x", "worklog-work_date": "2999-01-01"})
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()


def test_request_transition(client_as, operator, org_a, now):
    from tickets.services import request_create

    req = request_create(actor=operator, organization=org_a, title="Need a VPN account",
                         request_type="service_request", now=now)
    client = client_as(operator)
    response = client.post(reverse("tickets:transition", args=[req.pk]), {
        "action": "cancel", "cancel-version": req.version, "cancel-reason": "Duplicate"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "cancelled"
    refused = client.post(reverse("tickets:transition", args=[req.pk]), {"action": "accept",
                                                                          "accept-version": req.version})
    assert refused.status_code == 400
    assert "not allowed" in refused.content.decode()


# --- Lists: filters, keyset paging, query counts ------------------------------------------

def test_incident_list_filters_and_pages(client_as, supervisor, org_a, org_b, make_incident, monkeypatch):
    import accounts.views

    monkeypatch.setattr(accounts.views, "PAGE_SIZE", 2)
    for n in range(3):
        make_incident(organization=org_a, title=f"A{n}")
    make_incident(organization=org_b, title="B0")
    client = client_as(supervisor)
    first = client.get(reverse("incidents:list"), {"organization": org_a.pk})
    assert first.status_code == 200
    assert first.context["next_cursor"]
    assert len(first.context["incidents"]) == 2
    second = client.get(reverse("incidents:list"), {"organization": org_a.pk, "after": first.context["next_cursor"]})
    titles = {i.title for i in first.context["incidents"]} | {i.title for i in second.context["incidents"]}
    assert titles == {"A0", "A1", "A2"}
    assert second.context["next_cursor"] is None
    bad = client.get(reverse("incidents:list"), {"month": "March"})
    assert bad.status_code == 200
    assert "YYYY-MM" in bad.content.decode()
    empty_params = client.get(reverse("incidents:list"), {"status": "", "fault_level": "", "q": ""})
    assert empty_params.status_code == 200
    assert len(empty_params.context["incidents"]) == 2


def _make_many(make_incident, org, ci, n):
    for i in range(n):
        make_incident(organization=org, ci=ci, title=f"Fault {i}")


def test_list_query_counts(client_as, supervisor, dispatcher, engineer, group, org_a, ci_a, make_incident,
                           django_assert_max_num_queries, now):
    from tickets.services import request_create

    _make_many(make_incident, org_a, ci_a, 8)
    for i in range(5):
        request_create(actor=supervisor, organization=org_a, title=f"R{i}", request_type="consultation", now=now)
    client = client_as(supervisor)
    client.get(reverse("incidents:list"))  # warm the session / content types
    with django_assert_max_num_queries(8):
        assert client.get(reverse("incidents:list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("incidents:list"), {"status": "new", "q": "Fault"}).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("tickets:list")).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("cmdb:list")).status_code == 200
    client = client_as(dispatcher)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("incidents:queue")).status_code == 200
    client = client_as(engineer)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("incidents:my_work")).status_code == 200


def test_language_switch_and_chinese_pages_render(client_as, operator, org_a, make_incident):
    inc = make_incident(organization=org_a)
    client = client_as(operator)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("incidents:list")})
    assert response.status_code == 302
    page = client.get(reverse("incidents:detail", args=[inc.pk]))
    assert page.status_code == 200
    assert 'lang="zh-hans"' in page.content.decode()
    assert client.get(reverse("incidents:hotline")).status_code == 200


def test_logout_is_a_post_form(client_as, operator):
    html = client_as(operator).get(reverse("incidents:hotline")).content.decode()
    assert f'action="{reverse("logout")}" method="post"' in html


def test_my_work_pages_by_keyset_in_work_order(client_as, engineer, org_a, make_incident, monkeypatch):
    """/my-work/ shows MY_WORK_PAGE rows (the API's page, issue 19) and a "Next page" link; walking the
    links lists every open incident of the engineer once, in the work order, whatever the levels."""
    import re
    from html import unescape

    from incidents import views
    from incidents.selectors import incident_my_work

    monkeypatch.setattr(views, "MY_WORK_PAGE", 2)
    for impact, urgency in (("high", "high"), ("low", "low"), ("medium", "medium"), ("high", "low"),
                            ("low", "high")):
        make_incident(organization=org_a, status="assigned", assignee=engineer, impact=impact, urgency=urgency)
    expected = [i.number for i in incident_my_work(user=engineer)]
    client = client_as(engineer)
    seen, url, pages = [], reverse("incidents:my_work"), 0
    while url:
        body = client.get(url).content.decode()
        rows = re.findall(r'<a class="mono" href="/incidents/\d+/">([^<]+)</a>', body)
        assert len(rows) <= 2
        seen += rows
        pages += 1
        link = re.search(r'rel="next" href="\?([^"]+)"', body)
        url = f"{reverse('incidents:my_work')}?{unescape(link.group(1))}" if link else None
    assert pages == 3 and len(expected) == 5 and seen == expected
    # A cursor that cannot be read is the first page, never a 500.
    assert client.get(reverse("incidents:my_work"), {"after": "garbage|x|y|1"}).status_code == 200
