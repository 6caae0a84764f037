"""`manage.py audit_anchor`: make the daily audit anchors (what the beat task does), or verify the
stored anchors of a day (or of every day) against the event table as it is now. Exit code 1 when
an anchor does not recompute — history was rewritten after it was published."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organization
from tickets.anchors import audit_anchor_create, audit_anchor_verify, audit_anchors_sweep
from tickets.models import AuditAnchor


class Command(BaseCommand):
    help = gettext_noop("Make the daily audit anchors, or verify stored ones against the history.")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--verify", action="store_true",
                            help=_("Recompute stored anchors and compare (default: make the missing ones)."))
        parser.add_argument("--day", type=date.fromisoformat, metavar="YYYY-MM-DD",
                            help=_("Only this day (making: anchor this day even if it is not yesterday)."))
        parser.add_argument("--organization", metavar="CODE", help=_("Only this organisation (its code)."))

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        orgs = Organization.objects.filter(is_active=True).order_by("pk")
        if options["organization"]:
            orgs = Organization.objects.filter(code=options["organization"])
            if not orgs.exists():
                raise CommandError(_("No organisation with code %(code)s.") % {"code": options["organization"]})
        day: date | None = options["day"]
        if not options["verify"]:
            if day is None and not options["organization"]:
                made = audit_anchors_sweep(now=now)
                self.stdout.write(_("%(n)s anchor(s) made.") % {"n": made})
                return
            if day is None or day >= timezone.localdate(now):
                raise CommandError(_("Give a --day that has ended."))
            for org in orgs:
                anchor = audit_anchor_create(organization=org, day=day, now=now)
                self.stdout.write(f"{org.code} {anchor.day} {anchor.digest}")
            return
        anchors = AuditAnchor.objects.filter(organization__in=orgs).select_related("organization").order_by(
            "organization_id", "day")
        if day is not None:
            anchors = anchors.filter(day=day)
        bad = 0
        for anchor in anchors.iterator(chunk_size=200):
            check = audit_anchor_verify(anchor=anchor)
            if check.ok:
                self.stdout.write(_("OK %(org)s %(day)s %(digest)s") % {
                    "org": anchor.organization.code, "day": anchor.day, "digest": anchor.digest})
                continue
            bad += 1
            reason = (_("the history no longer recomputes to this digest (now %(now)s)") % {"now": check.recomputed}
                      if not check.digest_ok else _("its previous digest is not the previous anchor's"))
            self.stdout.write(self.style.ERROR(_("BROKEN anchor %(org)s %(day)s: [anchor_mismatch] %(reason)s") % {
                "org": anchor.organization.code, "day": anchor.day, "reason": reason}))
        if bad:
            raise CommandError(_("%(n)s anchor(s) do not match the history.") % {"n": bad}, returncode=1)
