from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Reminders and escalations of every approval step go through this app's rules
        # (opsdesk/signals.py says why it is a signal: tickets may not import notifications).
        from opsdesk.signals import approval_notice

        from .approvals import approval_notice_receive

        approval_notice.connect(approval_notice_receive, dispatch_uid="notifications.approval_notice")
