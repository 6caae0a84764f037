"""Impact analysis: transitive, cycle-safe, depth and services, both directions, tenancy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cmdb.choices import CIStatus
from cmdb.models import CIChange, CIRelation
from cmdb.selectors import ci_impact, ci_impact_result, ci_relations
from cmdb.services import ci_update, relation_create, relation_retire
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(make_ci, org_a, operator, now):
    """service → app → vm(server) → host … → access switch → core switch → link, with a cycle
    (core ⇄ peer core) and a rack that contains the host."""
    c = {name: make_ci(name, org=org_a, cls=cls) for name, cls in [
        ("svc", "service"), ("app", "app"), ("vm", "server"), ("host", "server"), ("access", "switch"),
        ("core", "switch"), ("peer", "switch"), ("link", "switch"), ("rack", "switch"),
    ]}

    def rel(a, t, b):
        return relation_create(source=c[a], target=c[b], type=t, actor=operator, now=now)

    rel("svc", "depends_on", "app")
    rel("app", "runs_on", "vm")
    rel("vm", "hosted_on", "host")
    rel("host", "connects_to", "access")
    rel("access", "connects_to", "core")
    rel("core", "connects_to", "link")
    rel("core", "depends_on", "peer")
    rel("peer", "depends_on", "core")  # a cycle
    rel("rack", "contains", "host")  # the host depends on its rack
    return c


def names(rows):
    return {r.name: r.depth for r in rows}


def test_dependants_are_transitive_with_shortest_depth(estate):
    rows = ci_impact(ci_ids=[estate["core"].pk], direction="dependants", max_depth=10)
    assert names(rows) == {"access": 1, "peer": 1, "host": 2, "vm": 3, "app": 4, "svc": 5}
    assert rows[0].name == "svc" and rows[0].is_service  # services first


def test_cycle_terminates_and_excludes_the_start(estate):
    rows = ci_impact(ci_ids=[estate["peer"].pk], max_depth=20)
    assert "peer" not in names(rows)
    assert names(rows)["core"] == 1 and names(rows)["svc"] == 6


def test_contains_points_from_container_to_content(estate):
    assert names(ci_impact(ci_ids=[estate["rack"].pk]))["host"] == 1
    assert "rack" not in names(ci_impact(ci_ids=[estate["host"].pk]))
    assert names(ci_impact(ci_ids=[estate["host"].pk], direction="dependencies"))["rack"] == 1


def test_dependencies_direction(estate):
    deps = names(ci_impact(ci_ids=[estate["svc"].pk], direction="dependencies"))
    assert deps == {"app": 1, "vm": 2, "host": 3, "access": 4, "rack": 4, "core": 5, "link": 6, "peer": 6}


def test_depth_limit_and_count(estate):
    result = ci_impact_result(ci_ids=[estate["core"].pk], max_depth=2, limit=1)
    assert result.total == 3 and len(result.rows) == 1  # access, peer, host
    with pytest.raises(ValidationError):
        ci_impact(ci_ids=[estate["core"].pk], direction="sideways")
    assert ci_impact(ci_ids=[]) == []


def test_retired_relations_and_cis_drop_out(estate, operator, now):
    relation = CIRelation.objects.get(source=estate["access"], target=estate["core"])
    relation_retire(relation_id=relation.pk, actor=operator, now=now)
    assert set(names(ci_impact(ci_ids=[estate["core"].pk]))) == {"peer"}
    ci_update(ci_id=estate["app"].pk, actor=operator, changes={"status": CIStatus.RETIRED}, now=now)
    assert not CIRelation.objects.filter(active=True, source=estate["app"]).exists()
    assert "svc" not in names(ci_impact(ci_ids=[estate["host"].pk]))
    assert CIChange.objects.filter(ci=estate["svc"], field="relation", new="").exists()  # retired in history


def test_relations_both_ways_and_refusals(estate, operator, now):
    outgoing, incoming = ci_relations(user=operator, ci=estate["core"])
    assert {r.target.name for r in outgoing} == {"link", "peer"}
    assert {r.source.name for r in incoming} == {"access", "peer"}
    with pytest.raises(ValidationError):
        relation_create(source=estate["core"], target=estate["link"], type="connects_to", actor=operator, now=now)
    with pytest.raises(ValidationError):
        relation_create(source=estate["core"], target=estate["core"], type="depends_on", actor=operator, now=now)
    with pytest.raises(ValidationError):
        relation_create(source=estate["core"], target=estate["link"], type="likes", actor=operator, now=now)


def test_customer_sees_only_own_cis_in_impact(estate, make_ci, org_a, org_b, operator, now):
    foreign = make_ci("b-camera", org=org_b)
    relation_create(source=foreign, target=estate["core"], type="connects_to", actor=operator, now=now)
    cust_a = CustomerFactory(organization=org_a)
    cust_b = CustomerFactory(organization=org_b)
    assert "b-camera" in names(ci_impact(ci_ids=[estate["core"].pk], user=operator))
    assert "b-camera" not in names(ci_impact(ci_ids=[estate["core"].pk], user=cust_a))
    assert names(ci_impact(ci_ids=[estate["core"].pk], user=cust_b)) == {"b-camera": 1}
