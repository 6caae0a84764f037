"""Listeners on lower apps' signals (connected in SparesConfig.ready)."""

from __future__ import annotations

from typing import Any

from incidents.models import SpareLoan

from .services import spare_loan_restock


def on_spare_loan_returned(sender: Any, *, loan: SpareLoan, actor: Any, now: Any, **kwargs: Any) -> None:
    spare_loan_restock(loan=loan, actor=actor, now=now)
