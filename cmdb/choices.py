from django.db import models
from django.utils.translation import gettext_lazy as _


class CIStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    STANDBY = "standby", _("Standby")
    UNDER_REPAIR = "under_repair", _("Under repair")
    RETIRED = "retired", _("Retired")
