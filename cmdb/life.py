"""Asset life in SQL: a CI's end of life, computed the same way as CI.life_end (cmdb/models.py)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.db.models import DateField, DateTimeField, F, Func, QuerySet, Value
from django.db.models.functions import Cast, Coalesce

from .models import DEFAULT_DESIGN_LIFE_YEARS


class _PlusYears(Func):
    """PostgreSQL `(day + make_interval(years => n))`."""

    template = "(%(expressions)s))"
    arg_joiner = " + make_interval(years => "
    output_field = DateTimeField()


def with_life_end(qs: QuerySet[Any]) -> QuerySet[Any]:
    """`qs` (of CIs) annotated with `life_end_on`: the CI's end of life, else its start of service
    (in service date, else purchase date) plus its design life (the CI's, else its class's, else 6
    years). NULL when the CI has no date to count from."""
    years = Coalesce(F("design_life_years"), F("ci_class__design_life_years"), Value(DEFAULT_DESIGN_LIFE_YEARS))
    computed = Cast(_PlusYears(Coalesce(F("in_service_date"), F("purchase_date")), years), DateField())
    return qs.annotate(life_end_on=Coalesce(F("end_of_life"), computed, output_field=DateField()))


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
