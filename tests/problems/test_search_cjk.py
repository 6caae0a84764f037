"""Chinese queries whose characters span words ("摄像头离线" = 摄像头 + 离线) find the text that has
both words apart, the same on PostgreSQL (tsquery) and SQLite (icontains terms); the formula is pure
and tested without a database. tests/search/test_search_sqlite.py runs this module on SQLite too."""

from __future__ import annotations

import pytest
from django.db import connection

from problems.search import clauses_literal, query_clauses
from problems.selectors import known_error_search, problem_list
from problems.services import problem_transition


def test_clauses_cover_every_character_of_a_cjk_run():
    assert query_clauses("摄像头离线") == [("摄像",), ("离线",), ("像头", "头离")]
    assert query_clauses("交换机") == [("交换",), ("换机",)]
    assert query_clauses("交换机端口故障") == [("交换",), ("故障",), ("换机", "机端"), ("机端", "端口"), ("端口", "口故")]
    assert query_clauses("UPS 电池") == [("ups",), ("电池",)]
    assert query_clauses("端 Port3") == [("端",), ("port3",)]
    assert query_clauses("!!!") == []
    assert clauses_literal(query_clauses("UPS 摄像头离线路")) == "'ups' & '摄像' & '线路' & ('像头' | '头离') & ('头离' | '离线')"


@pytest.fixture
def kes(make_problem, analyst, org_a, now):
    def ke(title, workaround="重新上电", **kw):
        p = make_problem(organization=org_a, title=title, root_cause="原因", workaround=workaround, **kw)
        return problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now)

    return {
        "camera": ke("前端摄像头夜间频繁离线"),
        "port": ke("核心交换机端口故障"),
        "port_desc": ke("机房网络间歇中断", description="排查发现交换机端口老化导致丢包"),
        "online": ke("摄像机在线但无画面"),
    }


def titles(rows) -> list[str]:
    return [p.title for p in rows]


@pytest.mark.django_db
def test_words_run_together_in_chinese(kes, analyst):
    assert titles(known_error_search(user=analyst, q="摄像头离线")) == ["前端摄像头夜间频繁离线"]
    assert titles(problem_list(user=analyst, filters={"q": "摄像头离线"})) == ["前端摄像头夜间频繁离线"]
    assert titles(known_error_search(user=analyst, q="摄像头 离线")) == ["前端摄像头夜间频繁离线"]
    assert titles(known_error_search(user=analyst, q="摄像机离线")) == []  # 摄像机 is not in that text
    assert titles(known_error_search(user=analyst, q="夜间离线故障")) == []  # 故障 is missing


@pytest.mark.django_db
def test_title_outranks_description(kes, analyst):
    assert titles(known_error_search(user=analyst, q="交换机端口")) == ["核心交换机端口故障", "机房网络间歇中断"]


@pytest.mark.django_db
def test_the_icontains_path_finds_what_the_vector_finds(kes, analyst, monkeypatch):
    queries = ["摄像头离线", "交换机端口", "端口 老化", "重新上电", "摄像机离线", "网络中断"]
    native = {q: set(titles(known_error_search(user=analyst, q=q))) for q in queries}
    monkeypatch.setattr(connection, "vendor", "sqlite" if connection.vendor == "postgresql" else connection.vendor)
    fallback = {q: set(titles(known_error_search(user=analyst, q=q))) for q in queries}
    assert fallback == native
