"""The plan's checklist templates (inspections/templates_data.py), in Chinese and English."""

from django.db import migrations


def forwards(apps, schema_editor):
    from inspections.templates_data import install

    install(apps)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
