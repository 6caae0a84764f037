from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SparesConfig(AppConfig):
    name = "spares"
    verbose_name = _("Spare parts")
