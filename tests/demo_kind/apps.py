from django.apps import AppConfig


class DemoKindConfig(AppConfig):
    name = "tests.demo_kind"
    label = "demo_kind"
    default_auto_field = "django.db.models.BigAutoField"
