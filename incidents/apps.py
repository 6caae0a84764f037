from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        # The SLA sweep closes ended observation periods through the transition service, a layer
        # above the engine: registered here so incidents.sla never imports incidents.services.
        from .observation import observation_close_ended
        from .sla.sweep import sweep_register_closer

        sweep_register_closer(observation_close_ended)
