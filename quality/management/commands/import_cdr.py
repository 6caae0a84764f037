"""Import a phone system's call records (CDR export, e.g. Asterisk's Master.csv) for one organisation:
`manage.py import_cdr --organization city-psb /var/log/asterisk/cdr-csv/Master.csv`. Running it again
on the same file changes nothing (one row per organisation and call id)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Organization
from quality.services import phone_calls_import


class Command(BaseCommand):
    help = "Import call records (CDR CSV) from the phone system for one organisation (connect rate)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--organization", required=True, help="organisation code")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(code=options["organization"]).first()
        if org is None:
            raise CommandError(f"no organisation with code {options['organization']!r}")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        result = phone_calls_import(actor=None, organization=org, data=path.read_bytes(), filename=path.name,
                                    now=timezone.now())
        self.stdout.write(f"{result['read']} calls read, {result['created']} new, {result['unchanged']} already imported, "
                          f"{len(result['errors'])} lines not read")
        for err in result["errors"][:50]:
            self.stdout.write(f"  line {err['line']}: {err['message']}")
