"""One writer of `status` for every ticket kind (issue #18): the transition engine. This test reads
the project's code and fails when anything else writes a ticket's status."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

from tickets.models import TicketBase
from tickets.transitions import kind_spec

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "tests", "benchmarks", "scripts", "migrations", "var", "node_modules", "__pycache__"}
ENGINE = "tickets/transitions.py"

# `<name>.status = …` on rows that are not tickets (their own little state machines). A new entry
# here must name a non-ticket model; a ticket's status moves only through tickets.transitions.
NON_TICKET_WRITERS = {
    ("spares/services.py", "movement"),
    ("notifications/services.py", "delivery"),
    ("notifications/services.py", "locked"),
    ("reports/services.py", "locked"),
    ("reports/services.py", "email"),
    ("documents/services.py", "document"),
    ("incidents/followups.py", "report"),
    ("duty/services.py", "rule"),
    ("duty/services.py", "req"),  # a SupportRequest (requested / accepted / declined / withdrawn)  # a DutyRule (roster entry: pending / approved / rejected / withdrawn)
    ("team/training.py", "attendee"),  # a TrainingAttendee (invited / attended / absent)
    ("mailin/services.py", "inbound"),  # an InboundMail (received / ticket / comment / triage / ignored / failed)
    ("security/services.py", "finding"),  # a vulnerability Finding (open / fixed / accepted / false positive)
    ("security/services.py", "scan"),  # a ScanImport (preview / applied / discarded)
    ("spares/services.py", "rma"),  # a WarrantyReturn (sent / with the vendor / returned / replaced / refused)
    ("assurance/services.py", "drill"),  # a Drill (scheduled / recorded / cancelled)
    ("assurance/services.py", "test"),  # a RestoreTest (scheduled / passed / failed / cancelled)
}
# Synthetic-volume generators for benchmarks write finished tickets in bulk (scratch databases only).
BULK_GENERATORS = {"problems/management/commands/problems_bench.py"}


def _ticket_model_names() -> set[str]:
    return {m.__name__ for m in apps.get_models() if issubclass(m, TicketBase)}


def _root_name(node: ast.AST) -> str | None:
    """`Incident` for `Incident.objects.filter(…).update`, `req` for `req.status`."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _python_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts)]


def _writers(path: Path, ticket_models: set[str], rel: str | None = None) -> list[str]:
    rel = rel or path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    found: list[str] = []
    functions: dict[ast.AST, str] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(fn):
                functions.setdefault(child, fn.name)
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "status" and rel != ENGINE:
                if (rel, _root_name(target)) not in NON_TICKET_WRITERS:
                    found.append(f"{where}: assigns {ast.unparse(target)}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        keywords = {k.arg for k in node.keywords}
        root = _root_name(func)
        if name == "setattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value == "status":
            found.append(f"{where}: setattr(…, 'status', …)")
        if name in ("update", "bulk_update") and root in ticket_models and (
                "status" in keywords or "status" in ast.unparse(node)):
            found.append(f"{where}: {root}….{name}() writes status")
        if rel in BULK_GENERATORS:
            continue
        if "status" in keywords and (root in ticket_models or name in ticket_models) and name in (
                "create", "get_or_create", "update_or_create", "bulk_create", *ticket_models):
            if not functions.get(node, "").endswith("_create"):
                found.append(f"{where}: {ast.unparse(func)}(status=…) outside the kind's `_create` service")
    return found


def test_the_engine_is_the_only_writer_of_ticket_status():
    ticket_models = _ticket_model_names()
    assert {"Incident", "ServiceRequest", "Problem", "Change", "Release"} <= ticket_models
    found = [w for path in _python_files() for w in _writers(path, ticket_models)]
    assert found == [], "status written outside tickets/transitions.py:\n" + "\n".join(found)


def test_the_scan_finds_a_second_writer(tmp_path):
    """The scan itself works: each way of writing a status is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def incident_close(incident, Incident):\n"
        "    incident.status = 'closed'\n"
        "    Incident.objects.filter(pk=1).update(status='closed')\n"
        "    setattr(incident, 'status', 'closed')\n"
        "    Incident.objects.create(status='closed')\n",
        encoding="utf-8",
    )
    found = _writers(sample, {"Incident"}, rel="incidents/sample.py")
    assert len(found) == 4, found


@pytest.mark.parametrize("model", sorted((m for m in apps.get_models() if issubclass(m, TicketBase)),
                                         key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_every_ticket_kind_has_an_engine_spec(model):
    assert kind_spec(model.KIND).model is model
