"""Known-error search: Chinese by character bigrams, English words, ranking; the GIN index; the
SQLite fallback (icontains) is exercised by tokens only, the suite runs on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from problems.filtersets import problem_text_search
from problems.models import Problem
from problems.search import document, query_tokens, tokens, vector_literal
from problems.selectors import known_error_search, known_error_suggestions
from problems.services import problem_transition, problem_update

pytestmark = pytest.mark.django_db


def test_tokens_bigrams_and_words():
    assert tokens("核心交换机端口故障") == ["核心", "心交", "交换", "换机", "机端", "端口", "口故", "故障"]
    assert tokens("Core-Switch port3 DOWN") == ["core", "switch", "port3", "down"]
    assert tokens("端") == ["端"]
    assert query_tokens("交换机 交换机") == ["交换", "换机"]
    assert document("UPS 电池") == "ups 电池"
    assert vector_literal([("A", "端口"), ("C", "端口 x")]) == "'端口':1A,3C 'x':4C"


@pytest.fixture
def known_errors(make_problem, analyst, org_a, now):
    def ke(title, workaround, root_cause="原因", **kw):
        p = make_problem(organization=org_a, title=title, root_cause=root_cause, workaround=workaround, **kw)
        return problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now)

    return {
        "port": ke("核心交换机端口故障", "将链路切换到备用端口"),
        "port_desc": ke("机房网络间歇中断", "重启设备", description="排查发现交换机端口老化导致丢包"),
        "ups": ke("UPS battery alarm", "Switch the load to the bypass and replace the battery pack"),
        "camera": ke("摄像头离线", "重新上电"),
    }


def test_chinese_substring_finds_and_ranks_title_first(known_errors, analyst):
    found = list(known_error_search(user=analyst, q="交换机端口"))
    assert [p.pk for p in found] == [known_errors["port"].pk, known_errors["port_desc"].pk]
    assert found[0].search_rank > found[1].search_rank  # title (A) outranks description (C)


def test_english_words_any_order_and_case(known_errors, analyst):
    assert [p.pk for p in known_error_search(user=analyst, q="Battery UPS")] == [known_errors["ups"].pk]
    assert [p.pk for p in known_error_search(user=analyst, q="bypass")] == [known_errors["ups"].pk]
    assert list(known_error_search(user=analyst, q="battery fire")) == []  # every word must occur


def test_number_and_ke_id_and_nonsense(known_errors, analyst, make_problem, org_a):
    ke = known_errors["camera"]
    assert list(known_error_search(user=analyst, q=ke.known_error_id)) == [ke]
    plain = make_problem(organization=org_a, title="摄像头离线")
    assert list(known_error_search(user=analyst, q=plain.number)) == []  # not a known error
    assert list(known_error_search(user=analyst, q="!!! ???")) == []


def test_vector_follows_edits(known_errors, analyst, now):
    ke = known_errors["camera"]
    problem_update(problem_id=ke.pk, actor=analyst, version=ke.version, changes={"workaround": "更换光纤收发器"},
                   now=now)
    assert [p.pk for p in known_error_search(user=analyst, q="光纤收发器")] == [ke.pk]
    assert list(known_error_search(user=analyst, q="重新上电")) == []


def test_suggestions_by_ci_then_words(known_errors, make_problem, analyst, org_a, ci_a, now):
    on_ci = make_problem(organization=org_a, title="光模块老化", root_cause="r", workaround="更换光模块", ci=ci_a)
    on_ci = problem_transition(problem_id=on_ci.pk, actor=analyst, action="known_error", now=now)
    out = known_error_suggestions(user=analyst, ci_id=ci_a.pk, text="三楼交换机端口灯不亮")
    assert [(s.problem.pk, s.reason) for s in out][:2] == [(on_ci.pk, "ci"), (known_errors["port"].pk, "text")]
    assert known_error_suggestions(user=analyst, text="天气很好") == []


def test_gin_index_is_used(known_errors, analyst):
    qs = problem_text_search(Problem.objects.only("pk"), "交换机端口")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # A GIN index is read by bitmap scans only: without plain index scans the planner must use it if
        # the predicate can (otherwise it would walk another index, e.g. the ordering one, and filter).
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "prb_search_vector" in plan, plan
