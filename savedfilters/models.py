from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The ticket lists a filter can be saved for: URL path → the list's name.
LIST_PATHS = {
    "/incidents/": _("Incidents"),
    "/requests/": _("Requests"),
    "/problems/": _("Problems"),
    "/changes/": _("Changes"),
}


class SavedFilter(models.Model):
    """A person's named list view: a ticket list's path and its query string (the same filters the
    list's FilterSet reads, so the API and the page agree on what it means)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="saved_filters")
    name = models.CharField(_("name"), max_length=80)
    path = models.CharField(_("list"), max_length=40)
    query = models.CharField(_("query string"), max_length=1000, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        indexes = [models.Index(fields=["user", "path"], name="savedfilter_user_path")]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path
