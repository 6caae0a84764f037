"""Demo records (manage.py seed_demo, settings.DEMO_SEEDERS): filled in below."""
from __future__ import annotations

from typing import Any


def seed(**kwargs: Any) -> None:
    return None
