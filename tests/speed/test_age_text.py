"""The queue's age cell keeps timesince's text per month count, minutes after the pivot and language (issue 19): the kept text
must be what `{{ value|timesince:now }}` writes for every pair of instants, across month ends, leap
days, minute boundaries (microseconds included) and both languages."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.template.defaultfilters import timesince_filter
from django.utils import translation
from django.utils.html import escape

from incidents.templatetags import incident_rows


def test_age_is_timesince_for_every_pair():
    rng = random.Random(19)
    shanghai = ZoneInfo("Asia/Shanghai")
    nows = [datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC), datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2026, 12, 31, 12, 0, tzinfo=UTC), datetime(2026, 1, 31, 0, 0, tzinfo=UTC),
            datetime(2025, 3, 31, 23, 30, 15, 500000, tzinfo=shanghai), datetime(2024, 12, 31, 16, 1, tzinfo=UTC)]
    deltas = [timedelta(0), timedelta(microseconds=1), timedelta(seconds=59, microseconds=999999),
              timedelta(seconds=60), timedelta(days=27, hours=23, minutes=59, seconds=59),
              timedelta(days=28), timedelta(days=29), timedelta(days=400), timedelta(seconds=-61)]
    deltas += [timedelta(seconds=rng.randrange(0, 40 * 86400), microseconds=rng.randrange(10**6)) for _ in range(400)]
    deltas += [timedelta(seconds=rng.randrange(0, 3 * 366 * 86400), microseconds=rng.randrange(10**6))
               for _ in range(400)]
    deltas += [timedelta(days=d, seconds=s) for d in (30, 31, 59, 365, 366, 730) for s in (-1, 0, 1, 59, 60)]
    incident_rows._ages.clear()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for _round in range(2):  # the second round reads the kept texts
                for now in nows:
                    for delta in deltas:
                        value = now - delta
                        if int(delta.total_seconds()) % 3 == 0:
                            value = value.astimezone(shanghai)  # the two in different zones
                        assert incident_rows._age(value, now) == escape(timesince_filter(value, now)), (now, delta)
    assert incident_rows._age(None, nows[0]) == ""
    assert {k[-1] for k in incident_rows._ages} == {"zh-hans", "en"} and {k[0] for k in incident_rows._ages} > {0, 1, 12}
