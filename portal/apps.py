from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """Customer-facing pages only (no models): the one place to audit what customers see."""

    name = "portal"
    verbose_name = _("Customer portal")
