"""Demo notification preferences for `manage.py seed_demo` (settings.DEMO_SEEDERS): the regional lead
reads e-mail as an hourly digest with quiet hours at night (level I still wakes them); engineer1
mutes "progress update overdue". Idempotent: people with preferences keep theirs."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from accounts.models import User

from .choices import DeliveryMode, NotificationEvent
from .models import NotificationPreference
from .services import preference_save

DEMO_PREFERENCES: dict[str, dict[str, Any]] = {
    "lead": {"mode": DeliveryMode.DIGEST, "digest_minutes": 60, "quiet_start": time(22, 0), "quiet_end": time(7, 0)},
    "engineer1": {"muted_events": [NotificationEvent.PROGRESS_OVERDUE.value]},
}


def seed(*, now: datetime, stdout: Any) -> None:
    made = 0
    for username, data in DEMO_PREFERENCES.items():
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or NotificationPreference.objects.filter(user=user).exists():
            continue
        preference_save(user=user, data={"time_zone": "Asia/Shanghai", **data})
        made += 1
    stdout.write(f"Created {made} notification preferences.")
