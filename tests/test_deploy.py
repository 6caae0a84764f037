"""Deployment hardening (issue #11 finding 8): a strict Content-Security-Policy on every page, no
template that needs inline script or styles, and `check --deploy` clean under the production profile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.choices import Role
from tests.factories import OrganizationFactory, UserFactory

ROOT = Path(__file__).resolve().parents[1]
# Template files rendered for a browser (the PDF templates go to WeasyPrint, which has no CSP).
BROWSER_TEMPLATES = sorted(
    path for path in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in path.parts and "pdf" not in path.parts
)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def test_the_policy_is_strict():
    from django.conf import settings

    policy = settings.SECURE_CSP
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
    for directive in ("script-src", "style-src", "default-src"):
        assert policy[directive] == ["'self'"], directive
    assert policy["object-src"] == ["'none'"]


@pytest.mark.parametrize("path", BROWSER_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_needs_inline_script_handlers_or_styles(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js"
    assert not INLINE_HANDLER.search(text), "inline event handler (onchange=…): use app.js (e.g. data-autosubmit)"
    assert not INLINE_STYLE.search(text), "inline style: use a class in static/css"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/", "/reports/dashboard/", "/api/docs/", "/admin/", "/portal/",
                                  "/api/v1/incidents/"])
def test_every_kind_of_page_carries_the_policy(path):
    client = Client()
    if path == "/portal/":
        client.force_login(UserFactory(username="customer", role=Role.CUSTOMER,
                                       organization=OrganizationFactory(code="csp")))
    else:
        client.force_login(UserFactory(username="boss", role=Role.MANAGER, is_staff=True, is_superuser=True))
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    header = response["Content-Security-Policy"]
    assert "script-src 'self'" in header and "unsafe-inline" not in header and "unsafe-eval" not in header
    if "text/html" in response["Content-Type"]:
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html) and not INLINE_HANDLER.search(html), path


def _check_deploy(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **extra_env}
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the Playwright tests of the same worker, never in production
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


# drf-spectacular's enum-naming warnings belong to the API-schema work (issue #11, schema section).
NOT_DEPLOYMENT = {"drf_spectacular.W001", "drf_spectacular.W002"}


def test_check_deploy_is_clean_under_the_production_profile():
    result = _check_deploy({
        "OPSDESK_PROFILE": "production",
        "SECRET_KEY": "k9#VbQ2!tXz7Lr0pWm4eYc8Hn6Ja1Gs5Df3Ku-Ri+Oe_Ty%Bw^Nx&Zq*Pv(Lm)Sh@Ag",
        "ALLOWED_HOSTS": "opsdesk.example.com",
        "AUDIT_HMAC_KEY": "a-production-audit-key-kept-outside-the-database-0123456789",
    })
    found = set(re.findall(r"\(([a-z_]+\.[EWC]\d{3})\)", result.stdout + result.stderr))
    assert found - NOT_DEPLOYMENT == set(), result.stdout + result.stderr


def test_the_production_profile_refuses_the_development_secret_key():
    result = _check_deploy({"OPSDESK_PROFILE": "production", "SECRET_KEY": ""})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
