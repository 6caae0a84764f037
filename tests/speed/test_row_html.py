"""Issue 19: the rows of the dispatch queue and of the incident tables (my work, the incident list)
are rendered in Python (incidents/templatetags/incident_rows.py) instead of through the template
language. Their HTML must stay what the templates gave: these tests render the same incidents through
the original row templates (tests/speed/reference_templates/, which still include the shared
level-badge and deadline partials) and compare, in Chinese and English, with hostile titles, for
every deadline state (none, running, soon, breached, paused), with and without CI, assignee, group."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Engine
from django.test import RequestFactory
from django.utils import timezone, translation

from incidents.models import Incident
from incidents.selectors import incident_dispatch_queue, incident_list, incident_my_work, incident_work_rows
from incidents.services import incident_create, incident_transition
from incidents.templatetags.incident_rows import incident_table_rows, queue_rows
from tests.factories import CIFactory, SupportGroupFactory

pytestmark = pytest.mark.django_db

M = timedelta(minutes=1)
REFERENCE = Path(__file__).parent / "reference_templates"
HOSTILE = '<script>alert("x")</script> & \'引号\' 标题'


def reference_engine() -> Engine:
    from django.conf import settings
    from django.template.backends.django import get_installed_libraries

    return Engine(dirs=[str(REFERENCE), *map(str, settings.TEMPLATES[0]["DIRS"])], app_dirs=True,
                  libraries=get_installed_libraries())


def normalised(html: str) -> str:
    """The same markup: whitespace between tags and around the text of a cell does not show."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def parsed(html: str) -> list[tuple[Any, ...]]:
    """The markup as the browser reads it: tags with their attributes (any order, any valid escaping)
    and the text between them."""
    from html.parser import HTMLParser

    out: list[tuple[Any, ...]] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            out.append(("start", tag, tuple(sorted(attrs, key=lambda a: a[0]))))

        def handle_endtag(self, tag: str) -> None:
            out.append(("end", tag))

        def handle_data(self, data: str) -> None:
            if data.strip():
                out.append(("text", " ".join(data.split())))

    Reader(convert_charrefs=True).feed(html)
    return out


@pytest.fixture
def rows(org_a, operator, dispatcher, engineer, now):
    group = SupportGroupFactory(name="网络组 <b>")
    group.members.add(engineer)
    ci = CIFactory(organization=org_a, name='核心交换机 "A" <i>')
    made = [
        incident_create(actor=operator, organization=org_a, title=HOSTILE, ci=ci, now=now - 600 * M,
                        reported_at=now - 600 * M),  # breached
        incident_create(actor=operator, organization=org_a, title="level I", fault_level="I",
                        level_reason="hospital down", now=now - 5 * M, reported_at=now - 5 * M),  # soon
        incident_create(actor=operator, organization=org_a, title="running", now=now, reported_at=now),
        incident_create(actor=operator, organization=org_a, title="grouped", now=now - 30 * M,
                        reported_at=now - 30 * M - 7 * 86400 * timedelta(seconds=1)),
    ]
    incident_transition(incident_id=made[3].pk, actor=dispatcher, action="assign", payload={"group": group.pk},
                        now=now - 20 * M)
    paused = incident_create(actor=operator, organization=org_a, title="paused 待定", ci=ci, now=now - 60 * M,
                             reported_at=now - 60 * M)
    incident_transition(incident_id=paused.pk, actor=dispatcher, action="assign",
                        payload={"assignee": engineer.pk, "group": group.pk}, now=now - 50 * M)
    incident_transition(incident_id=paused.pk, actor=engineer, action="accept", now=now - 45 * M)
    incident_transition(incident_id=paused.pk, actor=engineer, action="pend", payload={"reason": "no access"},
                        now=now - 40 * M)
    # A paused incident whose next deadline is still set (the template's "paused" branch of the cell).
    Incident.objects.filter(pk=paused.pk).update(sla_next_due=now + 90 * M)
    incident_create(actor=operator, organization=org_a, title="no deadline yet", now=now, reported_at=now)
    Incident.objects.filter(title="no deadline yet").update(sla_next_due=None)
    assigned = incident_create(actor=operator, organization=org_a, title="mine", now=now - 10 * M,
                               reported_at=now - 10 * M)
    incident_transition(incident_id=assigned.pk, actor=dispatcher, action="assign",
                        payload={"assignee": engineer.pk}, now=now - 9 * M)
    return made


def _request(user: Any, path: str) -> Any:
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("can_assign", [True, False])
def test_queue_rows_are_the_templates_rows(rows, dispatcher, now, language, can_assign):
    incidents = list(incident_dispatch_queue(user=dispatcher))
    assert len(incidents) >= 4
    request = _request(dispatcher, "/queue/?sla=&x=<b>")
    context = {"incidents": incidents, "now": now, "can_assign": can_assign, "request": request,
               "csrf_token": "tok&en"}
    with translation.override(language), timezone.override("Europe/London"):
        expected = reference_engine().get_template("queue_rows.html").render(Context(context, autoescape=True))
        got = queue_rows(Context(context), list(incident_work_rows(incident_dispatch_queue(user=dispatcher))), now,
                         can_assign)
    assert normalised(got) == normalised(expected)
    assert "&lt;script&gt;" in got and "<script>" not in got
    assert ("tok&amp;en" in got) is can_assign


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("which", ["list", "my_work"])
def test_table_rows_are_the_templates_rows(rows, dispatcher, engineer, now, language, bulk, which):
    incidents = (list(incident_list(user=dispatcher)) if which == "list"
                 else list(incident_my_work(user=engineer).order_by("id")))
    assert len(incidents) >= (6 if which == "list" else 2)
    context = {"incidents": incidents, "now": now, "bulk": bulk}
    with translation.override(language), timezone.override("Asia/Tokyo"):
        expected = reference_engine().get_template("incident_table_rows.html").render(Context(context))
        # The incident list passes Incident instances; my work passes named rows (incident_work_rows).
        got = incident_table_rows(incidents if which == "list" else
                                  list(incident_work_rows(incident_my_work(user=engineer).order_by("id"))), now, bulk)
    assert normalised(got) == normalised(expected)
    states = set(re.findall(r'data-due-state="(\w+)"', got))
    assert states >= ({"breached", "soon", "running", "paused", "none"} if which == "list" else {"paused", "running"})


def test_the_pages_use_the_python_rows(client, rows, dispatcher, engineer):
    """The pages render their rows through the tags (the reference templates are not on a page)."""
    client.force_login(dispatcher)
    page = client.get("/queue/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert page.count("data-due-row") >= 4 and "&lt;script&gt;" in page and 'name="csrfmiddlewaretoken"' in page
    client.force_login(engineer)
    page = client.get("/my-work/").content.decode()
    assert page.count("data-due-row") == 2


@pytest.mark.parametrize("attrs", [
    {}, {"data-groups": "1 2"}, {"x": True, "y": False, "z": None, "w": '<"&\'>'},
    {"data-a": "", "b": 0, "c": True, "d": "q", "a": True},
])
def test_preloaded_option_attributes_are_flatatts(attrs):
    """The pickers' option attributes (opsdesk.widgets._flat) are written as Django's flatatt writes them."""
    from django.forms.utils import flatatt

    from opsdesk.widgets import _flat

    assert _flat(attrs) == flatatt(attrs)


def test_preloaded_select_is_djangos_select():
    """A PreloadedSelect gives the markup of Django's Select for the same options (values, labels,
    selection, escaping), whichever form renderer is configured."""
    from django import forms

    from opsdesk.widgets import PreloadedSelect

    choices = [("", "— 选择 —"), ("1", "A & <b>"), ("2", '"引号"'), ("3", "three")]
    plain = forms.Select(attrs={"class": "x", "data-group-select": True}, choices=choices)
    fast = PreloadedSelect(attrs={"class": "x", "data-group-select": True},
                           options=[(v, label, {}) for v, label in choices])
    shared = [(v, label, {}) for v, label in choices[1:]]  # as from the picker cache: one list, many pages
    with_empty = PreloadedSelect(attrs={"class": "x", "data-group-select": True}, options=shared,
                                 empty_label=choices[0][1])
    for value in (None, "2", ["3"], "", "1"):  # the later renders take the list's kept markup
        for widget in (fast, with_empty):
            assert parsed(widget.render("pick", value, {"id": "id_pick"})) == parsed(
                plain.render("pick", value, {"id": "id_pick"}))


def test_field_include_is_the_templates_field():
    """includes/field.html (now `{% field_html %}`, opsdesk/form_tags.py) gives the original
    template's markup for every kind of field: text, required, help text, errors, checkbox, hidden,
    select, date, wide, hostile label and help."""
    from django import forms
    from django.template import engines

    from opsdesk.widgets import IsoDateInput

    class Sample(forms.Form):
        title = forms.CharField(label='Title <b>"x"</b>', help_text="Say what & where <i>", max_length=5)
        note = forms.CharField(required=False, widget=forms.Textarea)
        urgent = forms.BooleanField(required=False, label="紧急")
        secret = forms.CharField(widget=forms.HiddenInput, required=False)
        level = forms.ChoiceField(choices=[("I", "一级"), ("II", "二级")])
        due = forms.DateField(widget=IsoDateInput, required=False)

    reference = reference_engine().get_template("field.html")
    live = engines["django"].engine.get_template("includes/field.html")
    for form in (Sample(), Sample(data={"title": "far too long", "level": "IX", "due": "not a date"})):
        form.is_valid()
        for field in form:
            for wide in (False, True):
                context = {"field": field, "wide": wide}
                with translation.override("zh-hans"):
                    expected = reference.render(Context(context))
                    got = live.render(Context(context))
                assert parsed(got) == parsed(expected), field.name
                assert normalised(got) == normalised(expected), field.name


def test_cached_pickers_follow_people_and_groups(client, rows, dispatcher, engineer, org_a):
    """The queue's and the incident page's pickers are kept per process (tickets.forms.PICKERS) and
    dropped when a user, a group or a membership changes: a new engineer, a deactivated one, a new
    membership and a renamed group show on the next page."""
    from tests.factories import UserFactory

    client.force_login(dispatcher)
    incident = rows[0]

    def pages() -> str:
        return (client.get("/queue/").content.decode() + client.get(f"/incidents/{incident.pk}/").content.decode())

    first = pages()
    assert engineer.display_name in first
    newcomer = UserFactory(name="新来的工程师")
    assert pages().count("新来的工程师") == 2  # the queue's template and the page's assign picker
    group = SupportGroupFactory(name="夜班组")
    assert pages().count("夜班组") >= 2
    group.members.add(newcomer)
    assert f'data-groups="{group.pk}">新来的工程师' in pages()
    group.name = "白班组"
    group.save()
    page = pages()
    assert "白班组" in page and "夜班组" not in page
    newcomer.is_active = False
    newcomer.save()
    assert "新来的工程师" not in pages()


def test_url_tag_is_djangos(rf):
    """`{% url %}` (opsdesk/url_tags.py, a template builtin) gives what Django's reverse() gives —
    no arguments, positional, keyword, `as`, a namespace, another script prefix — and still raises
    NoReverseMatch; kept answers do not leak across script prefixes."""
    from django.template import engines
    from django.urls import NoReverseMatch, reverse, set_script_prefix

    from opsdesk import url_tags

    engine = engines["django"]
    page = engine.from_string(
        "{% url 'incidents:list' %}|{% url 'incidents:detail' pk %}|{% url 'incidents:detail' pk=pk %}"
        "|{% url 'incidents:detail' 7 as link %}{{ link }}|{% url 'nope:nothing' as missing %}[{{ missing }}]")
    assert isinstance(engine.from_string("{% url 'incidents:list' %}").template.nodelist[0], url_tags.CachedURLNode)
    for prefix in ("/", "/opsdesk/", "/"):
        set_script_prefix(prefix)
        try:
            for _ in range(2):  # the second render takes the kept answers
                got = page.render({"pk": 42})
                expected = (f"{reverse('incidents:list')}|{reverse('incidents:detail', args=[42])}"
                            f"|{reverse('incidents:detail', kwargs={'pk': 42})}|{reverse('incidents:detail', args=[7])}|[]")
                assert got == expected
                assert got.startswith(prefix)
        finally:
            set_script_prefix("/")
    with pytest.raises(NoReverseMatch):
        engine.from_string("{% url 'nope:nothing' %}").render({})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_mainnav_is_the_templates_nav(language, rf, org_a):
    """`{% mainnav %}` (opsdesk/nav_tags.py) writes the original navigation markup
    (reference_templates/mainnav.html) for every role, superuser and customer, on several views,
    with and without an unread badge — also when its kept markup is reused for another person."""
    from django.urls import resolve

    from accounts.choices import Role
    from opsdesk import nav_tags
    from tests.factories import UserFactory

    nav_tags._navs.clear()
    reference = reference_engine().get_template("mainnav.html")
    from django.template import engines

    live = engines["django"].engine.from_string("{% load nav_tags %}{% mainnav %}")
    people = [UserFactory(role=role) for role in (Role.OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR,
                                                  Role.MANAGER, Role.REGIONAL_LEAD, Role.ANALYST, Role.DOC_ADMIN)]
    people += [UserFactory(role=Role.DISPATCHER, is_superuser=True), UserFactory(role=Role.CUSTOMER, organization=org_a),
               UserFactory(role=Role.AUDITOR, organization=org_a)]
    with translation.override(language):
        for path in ("/queue/", "/incidents/", "/spares/", "/notifications/", "/team/kpi/", "/"):
            request = rf.get(path)
            request.resolver_match = resolve(path)
            for user in people:
                for badge in ("", "3", "99+", "<b>&"):  # the second and later take the kept markup
                    context = {"user": user, "request": request, "inbox_badge": badge}
                    expected = reference.render(Context(context))
                    got = live.render(Context(context))
                    assert normalised(got) == normalised(expected), (path, user.role, badge)
    assert "&lt;b&gt;&amp;" in got or "portal" in got


def test_input_widgets_are_the_jinja_templates():
    """FormRenderer writes Django's input and textarea widgets itself (opsdesk/form_tags.py): the same
    markup as Django's Jinja2 templates, for every input type, value and attribute kind."""
    from django import forms
    from django.forms.renderers import Jinja2
    from django.utils.safestring import mark_safe

    from opsdesk.form_tags import _INPUTS, FormRenderer
    from opsdesk.widgets import IsoDateInput, IsoDateTimeLocalInput

    ours, jinja = FormRenderer(), Jinja2()
    hostile = 'a "b" <c> & \'d\' 引号'
    attrs = {"class": "x y", "required": True, "disabled": False, "maxlength": 200, "data-x": hostile,
             "placeholder": None, "aria-describedby": "id_helptext"}
    widgets = [forms.TextInput(attrs), forms.HiddenInput(), forms.NumberInput({"min": 0}), forms.EmailInput(),
               forms.PasswordInput(render_value=True), forms.URLInput(), forms.CheckboxInput(attrs),
               IsoDateInput(), IsoDateTimeLocalInput(), forms.Textarea(attrs), forms.Textarea({"rows": 3})]
    seen = set()
    for widget in widgets:
        for value in (None, "", "plain", hostile, mark_safe("<b>safe</b>"), 0, 5, True, "\nleading newline"):
            context = widget.get_context("field", value, {"id": "id_field"})
            name = widget.template_name
            seen.add(name)
            assert name in _INPUTS
            assert ours.render(name, context) == jinja.render(name, context), (name, value)
    assert len(seen) >= 9
    radio = forms.RadioSelect(choices=[("1", "one")])  # other templates still go through the template engines
    assert "django/forms/widgets/radio.html" not in _INPUTS
    assert ours.render(radio.template_name, radio.get_context("r", "1", {})) == jinja.render(
        radio.template_name, radio.get_context("r", "1", {}))


def test_select_widgets_are_the_jinja_templates():
    """FormRenderer writes select.html and its options itself: the same markup as Django's Jinja2
    templates for plain, grouped, multiple and null-boolean selects, hostile labels and values,
    none or several chosen; an option with a template of its own goes through the templates."""
    from django import forms
    from django.forms.renderers import Jinja2
    from django.utils.translation import gettext_lazy

    from opsdesk.form_tags import _INPUTS, FormRenderer

    ours, jinja = FormRenderer(), Jinja2()
    hostile = 'a "b" <c> & \'d\' 引号'
    choices = [("", "---------"), ("1", "one"), (2, hostile), (hostile, gettext_lazy("Low")),
               ("Group <g>", [("3", "three"), ("4", hostile)]), ("5", "")]
    attrs = {"class": "x", "required": True, "disabled": False, "data-x": hostile, "aria-describedby": "id_h"}
    widgets = [forms.Select(attrs, choices=choices), forms.SelectMultiple(attrs, choices=choices),
               forms.NullBooleanSelect(), forms.Select(choices=[])]
    for widget in widgets:
        values = (None, "", True, False, "unknown") if isinstance(widget, forms.NullBooleanSelect) else (
            None, "", "1", 2, hostile, ["1", "4"], ["3"], True, "unknown")
        for value in values:
            context = widget.get_context("field", value, {"id": "id_field"})
            assert widget.template_name in _INPUTS
            assert ours.render(widget.template_name, context) == jinja.render(widget.template_name, context), (
                type(widget).__name__, value)

    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    own = OwnOption(choices=[("1", "one")])
    context = own.get_context("o", "1", {})
    assert ours.render(own.template_name, context) == jinja.render(own.template_name, context)
    assert "<input" in ours.render(own.template_name, context)
