"""The Chinese UI shows no English: every page each role reaches (demo data, Chinese browser) is
searched for runs of English words outside data; ambiguous words carry a context and translate
by their meaning. Never a 500 on the way."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import translation
from django.utils.translation import pgettext

from accounts.models import User
from changes.choices import ChangeStatus
from changes.workflow import CHANGE_WORKFLOW
from portal.views import INCIDENT_ACTIONS, REQUEST_ACTIONS

from .crawl import crawl, data_words, english_runs, page_text

ROLES = ["operator", "dispatcher", "engineer1", "manager", "hospital-1-user"]


def test_english_runs_finds_ui_words_not_data_or_brands():
    text, links = page_text('<p>撤回 <b>Withdraw</b></p><script>var x = "Hello world"</script>'
                            '<a href="/x/" title="Not fixed: reopen">INC-000301</a> OpsDesk API 导出 CSV 王强 eng_wang')
    assert links == ["/x/"]
    assert english_runs(text, allowed={"eng_wang"}) == ["Withdraw", "Not fixed: reopen"]
    assert english_runs("- Select an option -", allowed=set()) == ["Select an option"]
    assert english_runs("SLA 已达成 · RMA · 2026-12-06 10:00 · YYYY-MM", allowed=set()) == []


def test_ambiguous_words_translate_by_their_meaning():
    with translation.override("zh-hans"):
        assert str(ChangeStatus.IMPLEMENTED.label) == "已实施"
        assert pgettext("time", "Implemented") == "实施时间"
        actions = {t.action: str(t.label) for t in CHANGE_WORKFLOW.transitions}
        assert actions["schedule"] == "排期" and actions["complete"] == "实施完成"
        assert pgettext("report schedule", "Schedule") == "定时计划"
        assert (pgettext("storeroom", "From"), pgettext("storeroom", "To")) == ("调出库房", "调入库房")
        assert (pgettext("value", "Old"), pgettext("value", "New")) == ("旧值", "新值")
        assert pgettext("storeroom owner", "provider") == "服务商"
        assert str(BLANK_CHOICE_LABEL) == "- 请选择 -"
        assert [str(v) for v in INCIDENT_ACTIONS.values()] == ["确认已修复", "未修复：重新处理"]
        assert str(REQUEST_ACTIONS["cancel"]) == "撤回"


@pytest.mark.django_db
def test_every_page_of_every_role_is_chinese(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.raise_request_exception = False
    call_command("seed_demo", stdout=StringIO())
    allowed = data_words()
    problems = {}
    for username in ROLES:
        client.force_login(User.objects.get(username=username))
        found, bad = crawl(client, allowed=allowed, max_pages=300)
        assert not bad, (username, bad)
        problems.update({f"{username} {url}": runs for url, runs in found.items()})
        client.logout()
    assert not problems, "\n".join(f"{where}: {runs}" for where, runs in problems.items())
