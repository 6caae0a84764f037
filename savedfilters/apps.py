from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SavedFiltersConfig(AppConfig):
    name = "savedfilters"
    verbose_name = _("Saved filters")
