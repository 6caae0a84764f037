from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Models whose rows make up the SLA configuration (tickets.sla_config caches it per process).
SLA_CONFIG_MODELS = ("WorkCalendar", "CalendarDay", "CalendarYear", "SLAPolicy", "SLATarget")


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from . import checks  # noqa: F401, PLC0415 - registers the system checks
        from .sla_config import sla_config_changed  # noqa: PLC0415

        self._connect_pickers()
        for name in SLA_CONFIG_MODELS:
            model = self.get_model(name)
            post_save.connect(sla_config_changed, sender=model, dispatch_uid=f"sla-config-save-{name}")
            post_delete.connect(sla_config_changed, sender=model, dispatch_uid=f"sla-config-delete-{name}")

    @staticmethod
    def _connect_pickers() -> None:
        """The work lists' engineer and group pickers are cached per process (tickets.forms.PICKERS)."""
        from django.db.models.signals import m2m_changed, post_delete, post_save  # noqa: PLC0415

        from accounts.models import SupportGroup, User  # noqa: PLC0415

        from .forms import PICKERS  # noqa: PLC0415

        for model in (User, SupportGroup):
            post_save.connect(PICKERS.invalidate, sender=model, dispatch_uid=f"pickers-save-{model.__name__}")
            post_delete.connect(PICKERS.invalidate, sender=model, dispatch_uid=f"pickers-delete-{model.__name__}")
        m2m_changed.connect(PICKERS.invalidate, sender=SupportGroup.members.through, dispatch_uid="pickers-members")
