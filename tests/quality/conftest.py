from __future__ import annotations

import pytest

from quality.models import Question, Questionnaire
from tests.factories import ContactFactory


@pytest.fixture
def questionnaire(db):
    q = Questionnaire.objects.create(title="维护工作客户意见征询表 2026")
    Question.objects.create(questionnaire=q, position=1, text="Response speed", kind="rating")
    Question.objects.create(questionnaire=q, position=2, text="Engineer attitude", kind="rating")
    Question.objects.create(questionnaire=q, position=3, text="Would you recommend us?", kind="choice",
                            choices=["Yes", "No"])
    Question.objects.create(questionnaire=q, position=4, text="Suggestions", kind="text", required=False)
    return q


@pytest.fixture
def contacts_a(org_a, customer_a):
    return [
        ContactFactory(organization=org_a, name="Mail Contact", email="mail@example.com"),
        ContactFactory(organization=org_a, name="Portal Contact", email="", user=customer_a),
        ContactFactory(organization=org_a, name="Phone Only", email=""),
    ]
