"""Default channels and rules. Only in-app and email (Django's mail backend: the console in
development) start switched on; robots and SMS wait until an admin enters their webhook or keys."""

from django.db import migrations

CHANNELS = [
    # name, kind, active, rate limit per minute
    ("In-app", "inapp", True, 0),
    ("Email", "email", True, 0),
    ("WeCom robot", "wecom", False, 20),
    ("DingTalk robot", "dingtalk", False, 20),
    ("Feishu robot", "feishu", False, 20),
    ("SMS", "sms", False, 0),
]

RULES = [
    # name, event, fault levels, channel names, recipients
    ("SLA warning → assignee", "sla.warning", [], ["In-app"], ["assignee"]),
    ("SLA breach → assignee and group lead", "sla.breach", [], ["In-app", "Email"], ["assignee", "group_lead"]),
    ("SLA breach (I/II) → chat group", "sla.breach", ["I", "II"], ["WeCom robot", "DingTalk robot", "Feishu robot"],
     ["assignee", "group_lead"]),
    ("Escalation → escalated person", "escalation", [], ["In-app", "Email"], ["target"]),
    ("Major incident → regional leads", "incident.major", ["I"], ["In-app", "SMS", "DingTalk robot"],
     ["role:regional_lead"]),
    ("Progress update overdue → assignee and group lead", "progress.overdue", [], ["In-app"],
     ["assignee", "group_lead"]),
    ("Fault report overdue → assignee", "report.overdue", [], ["In-app"], ["assignee", "group_lead"]),
    ("Observation ended → customer contact", "observation.closed", [], ["In-app", "Email"], ["customer_contact"]),
    ("Device flagged for replacement → project managers", "ci.replacement", [], ["In-app"], ["role:manager"]),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("notifications", "NotificationChannel")
    Rule = apps.get_model("notifications", "NotificationRule")
    by_name = {}
    for name, kind, active, limit in CHANNELS:
        channel, _created = Channel.objects.get_or_create(
            name=name, defaults={"kind": kind, "is_active": active, "rate_limit_per_minute": limit},
        )
        by_name[name] = channel
    for name, event, levels, channel_names, recipients in RULES:
        rule, created = Rule.objects.get_or_create(
            name=name, event=event, defaults={"fault_levels": levels, "recipients": recipients},
        )
        if created:
            rule.channels.set([by_name[n] for n in channel_names])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
