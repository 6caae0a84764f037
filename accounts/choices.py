from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    OPERATOR = "operator", _("Hotline operator")
    DISPATCHER = "dispatcher", _("Dispatcher")
    ENGINEER = "engineer", _("Maintenance engineer")
    ANALYST = "analyst", _("Fault analyst")
    SUPERVISOR = "supervisor", _("Supervisor")
    REGIONAL_LEAD = "regional_lead", _("Regional lead")
    MANAGER = "manager", _("Project manager")
    DOC_ADMIN = "doc_admin", _("Document admin")
    CUSTOMER = "customer", _("Customer user")
    AUDITOR = "auditor", _("Auditor (read-only, one organisation)")


# Roles bound to one organisation that see it through the customer portal (the auditor reads only).
ORGANIZATION_ROLES = frozenset({Role.CUSTOMER.value, Role.AUDITOR.value})
STAFF_ROLES = frozenset(r.value for r in Role if r.value not in ORGANIZATION_ROLES)


class AuthSource(models.TextChoices):
    LOCAL = "local", _("Local password")
    LDAP = "ldap", _("Company directory (LDAP)")
    OIDC = "oidc", pgettext_lazy("sign-in source", "Single sign-on (OpenID Connect)")
