"""Seed or refresh a work calendar's public holidays and make-up working days (调休) from the
installed `holidays` package. A year the package has no official data for is recorded as
unconfirmed (and shown as such), never filled with guesses; admin-entered days are kept."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tickets.models import WorkCalendar
from tickets.sla_config import DEFAULT_CALENDAR_CODE, calendar_sync


class Command(BaseCommand):
    help = "Load official holidays and make-up working days for the given years into a work calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--years", nargs="+", type=int, required=True, help="e.g. --years 2026 2027")
        parser.add_argument("--calendar", default=DEFAULT_CALENDAR_CODE, help="work calendar code")

    def handle(self, *args: object, **options: object) -> None:
        calendar = WorkCalendar.objects.filter(code=str(options["calendar"])).first()
        if calendar is None:
            raise CommandError(f"No work calendar with code {options['calendar']!r}.")
        years = [int(y) for y in options["years"]]  # type: ignore[attr-defined]
        if any(y < 1950 or y > 2100 for y in years):
            raise CommandError("Years must be between 1950 and 2100.")
        with transaction.atomic():
            results = calendar_sync(calendar=calendar, years=years)
        for r in results:
            state = "confirmed" if r.confirmed else "UNCONFIRMED"
            self.stdout.write(f"{calendar.code} {r.year}: {state}, {r.holidays} holidays, {r.workdays} make-up "
                              f"working days ({r.note})")
