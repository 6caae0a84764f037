"""`manage.py audit_export_verify FILE`: check an auditor's export (CSV of the events section, or the
Excel workbook) against the server's keys and stored anchors (tickets/audit_export.py). `--offline`
runs only the part that needs no key (chain links, the anchor digest over the heads). Exit code 1
when anything does not match."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tickets.audit_export import export_verify, read_export


class Command(BaseCommand):
    help = gettext_noop("Check an auditor's export (CSV or Excel) against the audit anchor and the history keys.")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("The exported file (.csv of the events, or .xlsx)."))
        parser.add_argument("--offline", action="store_true",
                            help=_("Only the checks that need no key: chain links and the anchor digest."))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_export(options["file"])
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": options["file"], "error": exc}) from exc
        check = export_verify(rows, keyed=not options["offline"])
        for problem in check.problems:
            self.stdout.write(problem)
        summary = _("%(events)s event(s) of %(heads)s chain head(s), anchor of %(day)s.") % {
            "events": check.events, "heads": check.heads, "day": check.day}
        if not check.ok:
            raise CommandError(_("The export does NOT verify: %(n)s problem(s). ") % {"n": len(check.problems)}
                               + summary)
        self.stdout.write(_("The export verifies. ") + summary)
