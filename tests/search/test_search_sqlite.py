"""The embedded default runs on SQLite: run the search tests there too (a pytest of their own on a
throwaway SQLite database), so both databases are proven to find the same rows; and the monitoring
inbox (queued intake), whose PostgreSQL fast paths (async commit, advisory lock, UPDATE … FROM VALUES)
have SQLite fall-backs that `scripts/run` uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["tests/problems/test_search_cjk.py", "tests/search/test_incident_search.py",
           "tests/search/test_search_complete.py", "tests/monitoring/test_inbox.py",
           "tests/speed/test_row_html.py"]


@pytest.mark.django_db
def test_search_tests_pass_on_sqlite(tmp_path):
    if connection.vendor == "sqlite":
        pytest.skip("already running on SQLite: the modules run directly")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}", "OPSDESK_VAR_DIR": str(tmp_path)}
    env.pop("PYTEST_XDIST_WORKER", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "0", *MODULES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1]
