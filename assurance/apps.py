from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssuranceConfig(AppConfig):
    name = "assurance"
    verbose_name = _("Assurance")
    default_auto_field = "django.db.models.BigAutoField"
