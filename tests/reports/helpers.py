"""Helpers of the reports tests (times in Asia/Shanghai, walking an incident, poppler text/fonts)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incidents.services import incident_transition

SH = ZoneInfo("Asia/Shanghai")
MONTH = "2026-10"


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def walk(incident: Any, actor: Any, steps: list[tuple[str, datetime, dict[str, Any]]]) -> Any:
    for action, when, payload in steps:
        incident = incident_transition(incident_id=incident.pk, actor=actor, action=action, payload=payload, now=when)
    return incident


def pdf_text(data: bytes, tmp_path: Any, *, layout: bool = False) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True).stdout.decode()


def pdf_fonts(data: bytes, tmp_path: Any) -> str:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
