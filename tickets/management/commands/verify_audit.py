"""`manage.py verify_audit`: walk the tamper-evident event chains (DESIGN.md rule 9) and say
exactly which record breaks them. Exit code 0 when every chain is intact, 1 otherwise.

Streams: tickets are read in key-ordered batches and events through a server-side cursor
(tickets.audit.chain_verify), breaks are printed as they are found, so memory stays flat on
millions of events. On PostgreSQL the whole run reads one REPEATABLE READ snapshot, so tickets
written meanwhile are neither half-seen nor reported as broken."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tickets.anchors import audit_anchor_verify
from tickets.audit import ChainBreak, chain_verify, ticket_models
from tickets.models import AuditAnchor, TicketBase, TicketEvent


class Command(BaseCommand):
    help = gettext_noop("Verify the tamper-evident history of tickets and report every broken record.")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)  # argparse needs a str, so translate when the parser is built
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        kinds = list(ticket_models())
        parser.add_argument("--kind", choices=kinds, action="append", dest="kinds",
                            help=_("Ticket type to check (repeatable); default: all of %(kinds)s.")
                            % {"kinds": ", ".join(kinds)})
        parser.add_argument("--id", type=int, nargs="+", action="extend", dest="ids", metavar="N",
                            help=_("Check only these ticket ids (needs exactly one --kind)."))
        parser.add_argument("--batch", type=int, default=2000, help=_("Tickets read per query."))
        parser.add_argument("--anchor-days", type=int, default=7, metavar="N",
                            help=_("Also recompute the daily anchors of the last N days (0: none)."))

    def handle(self, *args: Any, **options: Any) -> None:
        models = ticket_models()
        kinds: list[str] = options["kinds"] or list(models)
        ids: list[int] | None = options["ids"]
        if ids is not None and len(set(kinds)) != 1:
            raise CommandError(_("--id needs exactly one --kind: ids are numbered per ticket type."))
        outermost = not connection.in_atomic_block  # called from code already in a transaction: use its snapshot
        with transaction.atomic():
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            totals = [self.verify_kind(models[kind], ids, options["batch"]) for kind in dict.fromkeys(kinds)]
            anchor_breaks = self.verify_anchors(options["anchor_days"]) if ids is None else 0
            extra_breaks = self.verify_extra_chains(options["batch"]) if ids is None and not options["kinds"] else 0
        tickets = sum(t for t, _e, _b in totals)
        events = sum(e for _t, e, _b in totals)
        breaks = sum(b for _t, _e, b in totals) + anchor_breaks + extra_breaks
        summary = _("Checked %(tickets)s tickets and %(events)s events: %(result)s") % {
            "tickets": tickets, "events": events,
            "result": _("all chains intact.") if not breaks else _("%(n)s break(s) found.") % {"n": breaks},
        }
        if breaks:
            self.stdout.write(self.style.ERROR(summary))
            raise CommandError(_("The audit history has been altered: see the breaks listed above."), returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))

    def verify_kind(self, model: type[TicketBase], ids: list[int] | None, batch: int) -> tuple[int, int, int]:
        kind = model.KIND
        tickets = model.objects.all()
        events = TicketEvent.objects.filter(ticket_kind=kind)
        if ids is not None:
            tickets = tickets.filter(pk__in=ids)
            events = events.filter(ticket_id__in=ids)
            missing = sorted(set(ids) - set(tickets.values_list("pk", flat=True)))
            for pk in missing:
                self.stderr.write(_("%(kind)s %(id)s does not exist.") % {"kind": kind, "id": pk})
        ticket_count, event_count = tickets.count(), events.count()
        breaks = 0
        for brk in chain_verify(ticket_model=model, ticket_ids=ids, batch=batch):
            breaks += 1
            self.stdout.write(self.describe(model, brk))
        self.stdout.write(_("%(kind)s: %(tickets)s tickets, %(events)s events, %(breaks)s break(s)") % {
            "kind": kind, "tickets": ticket_count, "events": event_count, "breaks": breaks})
        return ticket_count, event_count, breaks

    def verify_extra_chains(self, batch: int) -> int:
        """The other history chains signed like ticket events (settings.AUDIT_EXTRA_CHAINS, e.g. the
        document history), reported in the same words."""
        breaks = 0
        for path in getattr(settings, "AUDIT_EXTRA_CHAINS", []):
            found = 0
            for brk in import_string(path)(batch=batch):
                found += 1
                self.stdout.write(self.style.ERROR(_("BROKEN %(number)s: %(what)s") % {
                    "number": f"{brk.ticket_kind} {brk.ticket_id}", "what": str(brk)}))
            self.stdout.write(_("%(chain)s history: %(breaks)s break(s)") % {"chain": path.split(".", 1)[0],
                                                                             "breaks": found})
            breaks += found
        return breaks

    def verify_anchors(self, days: int) -> int:
        """Recompute the published daily anchors of the last `days` days (tickets/anchors.py)."""
        if days <= 0:
            return 0
        since = timezone.localdate() - timedelta(days=days)
        breaks = 0
        anchors = AuditAnchor.objects.filter(day__gte=since).select_related("organization").order_by(
            "organization_id", "day")
        for anchor in anchors:
            check = audit_anchor_verify(anchor=anchor)
            if not check.ok:
                breaks += 1
                reason = (_("the history no longer recomputes to this digest (now %(now)s)") % {
                    "now": check.recomputed} if not check.digest_ok
                    else _("its previous digest is not the previous anchor's"))
                self.stdout.write(self.style.ERROR(
                    _("BROKEN anchor %(org)s %(day)s: [anchor_mismatch] %(reason)s") % {
                        "org": anchor.organization.code, "day": anchor.day, "reason": reason}))
        self.stdout.write(_("anchors: %(n)s checked, %(breaks)s break(s)") % {"n": len(anchors), "breaks": breaks})
        return breaks

    def describe(self, model: type[TicketBase], brk: ChainBreak) -> str:
        number = model.objects.filter(pk=brk.ticket_id).values_list("number", flat=True).first() or "?"
        return self.style.ERROR(_("BROKEN %(number)s: %(what)s") % {"number": number, "what": str(brk)})
