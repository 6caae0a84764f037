"""Level I pages whoever is on duty: an in-app and SMS rule for `incident.major` to the event's
targets (the incident service adds the on-duty engineers and duty leads to them)."""

from django.db import migrations

NAME = "Major incident → on-duty engineers and duty leads"


def seed(apps, schema_editor):
    Channel = apps.get_model("notifications", "NotificationChannel")
    Rule = apps.get_model("notifications", "NotificationRule")
    rule, created = Rule.objects.get_or_create(name=NAME, event="incident.major",
                                               defaults={"fault_levels": ["I"], "recipients": ["target"]})
    if created:
        rule.channels.set(Channel.objects.filter(name__in=["In-app", "SMS"]))


class Migration(migrations.Migration):
    dependencies = [("duty", "0001_initial"), ("notifications", "0002_seed_defaults")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
