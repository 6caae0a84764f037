from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailinConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mailin"
    verbose_name = _("E-mail intake")

    def ready(self) -> None:
        from opsdesk.signals import public_comment

        from .services import public_comment_receive

        public_comment.connect(public_comment_receive, dispatch_uid="mailin_public_comment_mail")
