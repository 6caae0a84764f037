"""Every date / time / datetime-local input renders ISO 8601 values in every language: the browser
drops anything else (`2026/12/06` in Chinese), shows the field empty and blocks a required submit."""

from __future__ import annotations

import importlib
import inspect
import re
from datetime import date, datetime, time
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.utils import timezone, translation

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "tickets", "cmdb", "incidents", "notifications", "problems", "changes", "spares",
        "documents", "releases", "quality", "reports", "portal"]
EXPECTED = {"date": r"\d{4}-\d{2}-\d{2}", "time": r"\d{2}:\d{2}", "datetime-local": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"}
VALUES = {"date": date(2026, 12, 6), "time": time(9, 30),
          "datetime-local": datetime(2026, 12, 6, 9, 30, tzinfo=timezone.get_default_timezone())}


def date_widgets() -> list[tuple[str, forms.Widget]]:
    found = []
    for app in APPS:
        for module_name in ("forms", "filtersets"):
            if not (ROOT / app / f"{module_name}.py").exists():
                continue
            module = importlib.import_module(f"{app}.{module_name}")
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__:
                    continue
                if issubclass(cls, forms.BaseForm):
                    fields = {n: f.widget for n, f in cls.base_fields.items()}
                elif issubclass(cls, django_filters.FilterSet):
                    fields = {n: f.field.widget for n, f in cls.base_filters.items()}
                else:
                    continue
                for field_name, widget in fields.items():
                    if getattr(widget, "input_type", None) in EXPECTED:
                        found.append((f"{module.__name__}.{name}.{field_name}", widget))
    return found


def test_the_scan_finds_the_known_date_inputs():
    names = {name for name, _ in date_widgets()}
    assert {"tickets.forms.WorkLogForm.work_date", "quality.forms.FiguresForm.date_from",
            "spares.forms.LendForm.due_back", "spares.forms.ReplacementForm.replaced_on",
            "cmdb.forms.CIForm.purchase_date"} <= names


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_date_input_renders_iso(language):
    with translation.override(language), timezone.override("Asia/Shanghai"):
        for name, widget in date_widgets():
            html = widget.render("x", VALUES[widget.input_type])
            value = re.search(r'value="([^"]*)"', html)
            assert value, (name, html)
            assert re.fullmatch(EXPECTED[widget.input_type], value.group(1)), (name, html)
