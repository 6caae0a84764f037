"""`manage.py backup DIR`: the database, the uploaded files and the audit anchors (ops/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ops.backup import BackupError, backup


class Command(BaseCommand):
    help = gettext_noop("Back up the database, the uploaded files and the audit anchors into a directory.")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help=_("A new or empty directory."))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["directory"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            _("Backup written to %(dir)s: %(tables)s tables, %(rows)s rows, %(files)s files, %(anchors)s anchors.") % {
                "dir": options["directory"], "tables": len(manifest["tables"]),
                "rows": sum(manifest["tables"].values()), "files": manifest["media_files"],
                "anchors": manifest["anchors"]}))
