"""`manage.py restore DIR`: load a backup into an EMPTY database, then verify the row counts, the
files, the anchors and every history chain (ops/backup.py). Exit code 1 when anything differs."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ops.backup import BackupError, restore, restore_verify


class Command(BaseCommand):
    help = gettext_noop("Restore a backup into an empty database and verify every chain and count.")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help=_("A directory written by `manage.py backup`."))
        parser.add_argument("--force", action="store_true",
                            help=_("Overwrite a database (and uploaded files) that are not empty."))

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        try:
            manifest = restore(directory, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        report = restore_verify(directory, manifest)
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(problem))
        chains = StringIO()
        try:
            call_command("verify_audit", anchor_days=36500, stdout=chains, stderr=chains)
            chains_ok = True
        except CommandError:
            chains_ok = False
        self.stdout.write(chains.getvalue())
        if report.problems or not chains_ok:
            raise CommandError(_("The restored desk does not match the backup: see the problems listed above."),
                               returncode=1)
        self.stdout.write(self.style.SUCCESS(
            _("Restored and verified: %(tables)s tables, %(rows)s rows, %(files)s files, %(anchors)s anchors; "
              "every chain intact.") % {"tables": report.tables, "rows": report.rows, "files": report.files,
                                        "anchors": report.anchors}))
