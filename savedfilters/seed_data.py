"""Demo saved filters for `manage.py seed_demo` (settings.DEMO_SEEDERS): the dispatcher's and the
regional lead's everyday views. Idempotent: a user who has saved filters already gets none."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import User

from .models import SavedFilter
from .services import saved_filter_create

DEMO_FILTERS = (
    ("lead", "我组未结故障", "/incidents/", "my_group=true&status=new&status=assigned&status=in_progress&status=pending"),
    ("lead", "本周超时", "/incidents/", "sla=breached&reported_in=week"),
    ("dispatcher", "未分派的一级故障", "/incidents/", "unassigned=true&fault_level=I"),
    ("dispatcher", "本周超时", "/incidents/", "sla=breached&reported_in=week"),
    ("engineer1", "分派给我的服务请求", "/requests/", "mine=true"),
)


def seed(*, now: datetime, stdout: Any) -> None:
    made = 0
    users = {u.username: u for u in User.objects.filter(username__in={row[0] for row in DEMO_FILTERS}, is_active=True)}
    busy = set(SavedFilter.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    for username, name, path, query in DEMO_FILTERS:
        user = users.get(username)
        if user is None or user.pk in busy:
            continue
        saved_filter_create(user=user, name=name, path=path, query=query, now=now)
        made += 1
    stdout.write(f"Created {made} saved filters.")
