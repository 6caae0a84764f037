from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentCategory(models.TextChoices):
    """The kinds of material the service plan's document library (资料库) keeps."""

    CIRCUIT_DATA = "circuit_data", _("Circuit data")
    INSTALL_ADDRESSES = "install_addresses", _("Installation addresses")
    BACKUP_STATUS = "backup_status", _("Backup status")
    APPLICATION_PROFILE = "application_profile", _("Application characteristics")
    CONFIGURATION = "configuration", _("Configuration")
    MANUAL = "manual", _("Manual")
    DRAWING = "drawing", _("Drawing")
    CONTRACT = "contract", _("Contract")
    OTHER = "other", _("Other")


class DocumentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class DocumentAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Details changed")
    VERSION_ADDED = "version_added", _("New version")
    PUBLISHED = "published", _("Published to the customer")
    UNPUBLISHED = "unpublished", _("Withdrawn from the customer")
    ARCHIVED = "archived", _("Archived")
