"""Problems of organisation A for the tenancy walk: a known error linked to A's incident (its
workaround and root cause only A's pages may show), with a comment and a work log."""

from __future__ import annotations

from typing import Any

from accounts.choices import Role
from problems.services import problem_create, problem_transition
from tests.factories import UserFactory
from tickets.services import ticket_comment_add, ticket_worklog_add


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    analyst = UserFactory(username="alpha_analyst", role=Role.ANALYST)
    problem = problem_create(actor=analyst, organization=org_a, title="Alpha pump seal recurring leak", ci=ci,
                             root_cause="alpha-root-cause-seal", workaround="alpha-bypass-valve-workaround",
                             incident_ids=[incident.pk], now=now)
    problem = problem_transition(problem_id=problem.pk, actor=analyst, action="known_error", now=now)
    comment = ticket_comment_add(ticket=problem, author=analyst, body="alpha-problem-comment", public=True, now=now)
    worklog = ticket_worklog_add(ticket=problem, author=analyst, minutes=5, note="alpha-problem-worklog",
                                 work_date=None, now=now)
    return {
        "ids": {"problem": [problem.pk], "comment": [comment.pk], "worklog": [worklog.pk]},
        "secrets": [problem.number, problem.known_error_id, "Alpha pump seal recurring leak", "alpha-root-cause-seal",
                    "alpha-bypass-valve-workaround", "alpha-problem-comment", "alpha-problem-worklog"],
        "params": {"problem": "problem"},
    }
