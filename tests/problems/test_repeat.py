"""Repeat-fault detection: groups computed in SQL, thresholds from admin rules or the default."""

from __future__ import annotations

from datetime import timedelta

import pytest

from problems.models import RepeatRule
from problems.selectors import candidate_incidents, incident_candidate, problem_candidates
from tests.factories import CIFactory

pytestmark = pytest.mark.django_db


def test_three_in_thirty_days_on_one_ci(make_incident, make_problem, analyst, org_a, ci_a, now):
    old = make_incident(organization=org_a, ci=ci_a, reported_at=now - timedelta(days=40))
    incs = [make_incident(organization=org_a, ci=ci_a) for _ in range(2)]
    make_incident(organization=org_a, ci=ci_a, status="cancelled")  # cancelled ones do not count
    assert problem_candidates(user=analyst, now=now) == []  # 2 in the window (the old one is outside)
    incs.append(make_incident(organization=org_a, ci=ci_a))
    [cand] = problem_candidates(user=analyst, now=now)
    assert (cand.scope, cand.count, cand.ci, cand.organization) == ("ci", 3, ci_a, org_a)
    assert [i.pk for i in candidate_incidents(user=analyst, key=cand.key, now=now)] == [i.pk for i in incs]
    assert old.pk not in [i.pk for i in candidate_incidents(user=analyst, key=cand.key, now=now)]
    assert incident_candidate(user=analyst, incident=incs[0], now=now).count == 3
    # Linking them to a problem removes the candidate.
    make_problem(organization=org_a, incident_ids=[incs[0].pk])
    assert problem_candidates(user=analyst, now=now) == []
    assert incident_candidate(user=analyst, incident=incs[0], now=now) is None


def test_admin_rules_replace_the_default_and_cause_scope(make_incident, analyst, org_a, ci_a, now):
    sibling = CIFactory(organization=org_a, name="core-switch-2", ci_class=ci_a.ci_class)
    for ci in (ci_a, sibling):
        make_incident(organization=org_a, ci=ci, status="resolved")  # resolved with cause "hardware"
    RepeatRule.objects.create(name="cause", scope=RepeatRule.Scope.CAUSE, min_incidents=2, window_days=7)
    [cand] = problem_candidates(user=analyst, now=now)
    assert (cand.scope, cand.count, cand.cause_category, cand.ci_class) == ("cause", 2, "hardware", ci_a.ci_class)
    assert len(candidate_incidents(user=analyst, key=cand.key, now=now)) == 2
    RepeatRule.objects.create(name="ci", scope=RepeatRule.Scope.CI, min_incidents=2, window_days=7)
    assert len(problem_candidates(user=analyst, now=now)) == 1  # no CI has 2


def test_customer_scoped_and_bad_keys(make_incident, customer_b, org_a, ci_a, now, analyst):
    for _ in range(3):
        make_incident(organization=org_a, ci=ci_a)
    assert problem_candidates(user=customer_b, now=now) == []
    [cand] = problem_candidates(user=analyst, now=now)
    assert candidate_incidents(user=customer_b, key=cand.key, now=now) == []
    from django.http import Http404
    with pytest.raises(Http404):
        candidate_incidents(user=analyst, key="ci:1; drop", now=now)
