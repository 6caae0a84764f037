from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("changes", "0002_change_problems_alter_change_status"),
    ]

    operations = [
        migrations.RenameField(model_name="customerapproval", old_name="channel", new_name="decided_via"),
        migrations.AlterField(
            model_name="customerapproval", name="decided_via",
            field=models.CharField(blank=True, choices=[("portal", "Portal"), ("link", "Signed link"), ("api", "API")],
                                   max_length=10, verbose_name="answered through"),
        ),
    ]
