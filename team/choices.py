from django.db import models
from django.utils.translation import gettext_lazy as _

KIND = "leave"


class LeaveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPANY_APPROVAL = "company_approval", _("Awaiting the company's approval")
    CUSTOMER_APPROVAL = "customer_approval", _("Awaiting the customer's approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class LeaveType(models.TextChoices):
    ANNUAL = "annual", _("Annual leave")
    SICK = "sick", _("Sick leave")
    PERSONAL = "personal", _("Personal leave")
    OTHER = "other", _("Other leave")


class ScorecardStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PUBLISHED = "published", _("Published")


class Audience(models.TextChoices):
    CUSTOMER = "customer", _("Customers' users")
    ENGINEERS = "engineers", _("Engineers")


class Attendance(models.TextChoices):
    INVITED = "invited", _("Invited")
    ATTENDED = "attended", _("Attended")
    ABSENT = "absent", _("Absent")


# The four assessment dimensions of the plan (1.2.10), in order.
DIMENSIONS = ("satisfaction", "workload", "problems", "recovery")
