from django.db import models
from django.utils.translation import gettext_lazy as _


class CIStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    STANDBY = "standby", _("Standby")
    UNDER_REPAIR = "under_repair", _("Under repair")
    RETIRED = "retired", _("Retired")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    INT = "int", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    DATE = "date", _("Date")
    BOOL = "bool", _("Yes / no")
    CHOICE = "choice", _("Choice")


class RelationType(models.TextChoices):
    """`<source> <type> <target>`, read left to right: "app-1 runs on vm-7"."""

    DEPENDS_ON = "depends_on", _("depends on")
    RUNS_ON = "runs_on", _("runs on")
    HOSTED_ON = "hosted_on", _("hosted on")
    CONNECTS_TO = "connects_to", _("connects to")
    CONTAINS = "contains", _("contains")


# The name of a relation read from its target's side: "vm-7 runs app-1".
RELATION_INVERSE = {
    RelationType.DEPENDS_ON: _("used by"),
    RelationType.RUNS_ON: _("runs"),
    RelationType.HOSTED_ON: _("hosts"),
    RelationType.CONNECTS_TO: _("connected by"),
    RelationType.CONTAINS: _("contained by"),
}

# Which end of a relation fails along with the other. For every type except `contains`, the source
# needs the target (app runs on vm: the vm failing takes the app down; an access switch connects to
# the core switch through which it reaches the network). For `contains` it is the other way round:
# the contained CI needs its container (rack contains server: the rack's power failing takes the
# server down). Services store the outcome as dependant/dependency so impact is one indexed walk.
SOURCE_IS_DEPENDANT = {
    RelationType.DEPENDS_ON: True,
    RelationType.RUNS_ON: True,
    RelationType.HOSTED_ON: True,
    RelationType.CONNECTS_TO: True,
    RelationType.CONTAINS: False,
}


class ImpactDirection(models.TextChoices):
    DEPENDANTS = "dependants", _("Affected if it fails")
    DEPENDENCIES = "dependencies", _("What it depends on")


class ChangeSource(models.TextChoices):
    UI = "ui", _("Web page")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    SYSTEM = "system", _("System")
