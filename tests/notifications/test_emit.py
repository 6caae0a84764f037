"""Rules → recipients → channels → deliveries; idempotent emission; in-app rows; seed defaults."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from accounts.choices import Role
from notifications.choices import DeliveryStatus
from notifications.models import Delivery, Notification, NotificationChannel, NotificationRule
from notifications.services import notification_emit
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def emit(now, *, event="sla.breach", level="II", org=None, key="inc:7:sla.breach:resolve", **context):
    context.setdefault("title", "INC-2026-000007 breached")
    return notification_emit(event=event, fault_level=level, organization_id=org, context=context,
                             dedup_key=key, now=now)


def test_emit_twice_creates_one_delivery_per_channel_and_recipient(vendor, inapp_channel, wecom_channel, make_rule,
                                                                    engineer, now):
    lead = UserFactory(role=Role.REGIONAL_LEAD)
    make_rule(event="sla.breach", channels=[inapp_channel, wecom_channel], recipients=["assignee", "group_lead"])
    first = emit(now, assignee_id=engineer.pk, group_lead_id=lead.pk)
    second = emit(now, assignee_id=engineer.pk, group_lead_id=lead.pk)
    assert second == []
    # in-app: one per person; robot: one per group chat
    assert sorted(d.recipient_key for d in first) == ["group", f"user:{engineer.pk}", f"user:{lead.pk}"]
    assert Delivery.objects.count() == 3
    assert Notification.objects.count() == 2
    # a different key (the next breach) is a new notification
    assert len(emit(now, key="inc:7:sla.breach:restore", assignee_id=engineer.pk)) == 2


def test_two_rules_naming_the_same_person_give_one_delivery(inapp_channel, make_rule, engineer, now):
    make_rule(event="sla.breach", channels=[inapp_channel], recipients=["assignee"], name="a")
    make_rule(event="sla.breach", channels=[inapp_channel], recipients=[f"user:{engineer.pk}"], name="b")
    assert len(emit(now, assignee_id=engineer.pk)) == 1


def test_in_app_notification_written_at_once(inapp_channel, make_rule, engineer, now):
    make_rule(event="sla.breach", channels=[inapp_channel], recipients=["assignee"])
    [delivery] = emit(now, assignee_id=engineer.pk, body="Restore target passed", link="/incidents/7/")
    assert delivery.status == DeliveryStatus.SENT and delivery.sent_at == now
    notification = Notification.objects.get(user=engineer)
    assert (notification.title, notification.body, notification.link) == (
        "INC-2026-000007 breached", "Restore target passed", "/incidents/7/")
    assert notification.read_at is None


def test_rule_filters_by_fault_level_and_organisation(inapp_channel, make_rule, engineer, org_a, org_b, now):
    make_rule(event="incident.major", channels=[inapp_channel], recipients=["assignee"], fault_levels=["I"],
              organization=org_a)
    assert emit(now, event="incident.major", level="II", org=org_a.pk, assignee_id=engineer.pk) == []
    assert emit(now, event="incident.major", level="I", org=org_b.pk, assignee_id=engineer.pk) == []
    assert len(emit(now, event="incident.major", level="I", org=org_a.pk, assignee_id=engineer.pk)) == 1


def test_recipient_kinds(inapp_channel, email_channel, sms_channel, make_rule, org_a, org_b, now):
    lead = UserFactory(role=Role.REGIONAL_LEAD, phone="139 0000 2222")
    UserFactory(role=Role.REGIONAL_LEAD, is_active=False)
    cust_a = CustomerFactory(organization=org_a)
    CustomerFactory(organization=org_b)
    target = UserFactory(role=Role.MANAGER)
    make_rule(event="escalation", channels=[inapp_channel, email_channel, sms_channel],
              recipients=["role:regional_lead", "org_users", "target", "customer_contact"])
    deliveries = emit(now, event="escalation", org=org_a.pk, target_user_ids=[target.pk],
                      contact_name="Zhang Wei", contact_email="zw@example.com", contact_phone="13800001111")
    keys = {(d.channel.kind, d.recipient_key) for d in deliveries}
    assert ("inapp", f"user:{lead.pk}") in keys
    assert ("inapp", f"user:{cust_a.pk}") in keys
    assert ("inapp", f"user:{target.pk}") in keys
    assert ("email", "email:zw@example.com") in keys  # the contact has no account: email and SMS only
    assert ("sms", "phone:13800001111") in keys
    assert ("sms", "phone:13900002222") in keys
    assert all(k[1] != "email:" for k in keys)
    inapp_users = {d.user_id for d in deliveries if d.channel.kind == "inapp"}
    assert inapp_users == {lead.pk, cust_a.pk, target.pk}


def test_inactive_channels_and_rules_send_nothing(wecom_channel, inapp_channel, make_rule, engineer, now):
    wecom_channel.is_active = False
    wecom_channel.save()
    make_rule(event="sla.breach", channels=[wecom_channel], recipients=["assignee"])
    make_rule(event="sla.breach", channels=[inapp_channel], recipients=["assignee"], is_active=False, name="off")
    assert emit(now, assignee_id=engineer.pk) == []


def test_bad_input_is_a_validation_error(now, db):
    with pytest.raises(ValidationError):
        notification_emit(event="nope", fault_level=None, organization_id=None, context={"title": "x"},
                          dedup_key="k", now=now)
    with pytest.raises(ValidationError):
        notification_emit(event="sla.breach", fault_level=None, organization_id=None, context={}, dedup_key="k",
                          now=now)


def test_send_task_is_queued_after_commit(vendor, wecom_channel, make_rule, engineer, now,
                                          django_capture_on_commit_callbacks):
    make_rule(event="sla.breach", channels=[wecom_channel], recipients=["assignee"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [delivery] = emit(now, assignee_id=engineer.pk)
        assert vendor.requests == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(vendor.requests) == 1


def test_rule_validation():
    rule = NotificationRule(name="x", event="sla.breach", fault_levels=["V"], recipients=["boss", "role:nobody"])
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert set(exc.value.message_dict) == {"fault_levels", "recipients"}
    NotificationRule(name="ok", event="sla.breach", fault_levels=["I"],
                     recipients=["assignee", "role:regional_lead", "user:3", "customer_contact"]).full_clean()


def test_seed_migration_defaults(db):
    seed = importlib.import_module("notifications.migrations.0002_seed_defaults").seed
    seed(apps, None)
    seed(apps, None)  # idempotent
    active = set(NotificationChannel.objects.filter(is_active=True).values_list("kind", flat=True))
    assert active == {"inapp", "email"}
    assert NotificationChannel.objects.get(kind="dingtalk").rate_limit_per_minute == 20
    major = NotificationRule.objects.get(event="incident.major")
    assert major.fault_levels == ["I"] and major.recipients == ["role:regional_lead"]
    assert {c.kind for c in major.channels.all()} == {"inapp", "sms", "dingtalk"}
    for rule in NotificationRule.objects.all():
        rule.full_clean()
