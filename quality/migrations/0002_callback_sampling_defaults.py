from django.db import migrations

DEFAULTS = {"I": 100, "II": 100, "III": 20, "IV": 20}


def seed(apps, schema_editor):
    CallbackSampling = apps.get_model("quality", "CallbackSampling")
    for level, percent in DEFAULTS.items():
        CallbackSampling.objects.get_or_create(fault_level=level, defaults={"percent": percent})


class Migration(migrations.Migration):

    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
