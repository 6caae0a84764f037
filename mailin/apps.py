from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailinConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mailin"
    verbose_name = _("E-mail intake")
