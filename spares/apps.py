from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SparesConfig(AppConfig):
    name = "spares"
    verbose_name = _("Spare parts")

    def ready(self) -> None:
        from incidents.followups import spare_loan_returned

        from .receivers import on_spare_loan_returned

        # A loan returned anywhere (incident page, loans list, API) puts the device back in the store.
        spare_loan_returned.connect(on_spare_loan_returned, dispatch_uid="spares.loan_restock")
