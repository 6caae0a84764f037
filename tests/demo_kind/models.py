from django.db import models

from tickets.models import TicketBase


class DemoStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPANY_APPROVAL = "company_approval", "Awaiting the company's approval"
    CUSTOMER_APPROVAL = "customer_approval", "Awaiting the customer's approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DONE = "done", "Done"


class DemoTicket(TicketBase):
    """E.g. a leave request or a drill: the company approves, then the customer, within N working days."""

    KIND = "demo"
    NUMBER_PREFIX = "DEMO"

    status = models.CharField(max_length=20, choices=DemoStatus.choices, default=DemoStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "demo_kind"
