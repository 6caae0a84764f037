"""OpsDesk settings. Everything deployment-specific comes from environment variables (README,
"Configuration"); the defaults give the embedded mode: SQLite file + filesystem Celery broker."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OPSDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# OPSDESK_PROFILE=production: DEBUG off, a real SECRET_KEY required, HTTPS-only (redirect, HSTS,
# secure cookies) and SMTP mail by default, so `manage.py check --deploy` is clean (README, "Production").
PRODUCTION = os.environ.get("OPSDESK_PROFILE", "").strip().lower() == "production"
DEBUG = False if PRODUCTION else env_bool("DEBUG", False)
_DEV_SECRET_KEY = "insecure-dev-key-change-me-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured("OPSDESK_PROFILE=production needs SECRET_KEY: 50+ random characters.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "cmdb",
    "notifications",
    "savedfilters",
    "tickets",
    "duty",
    "incidents",
    "problems",
    "changes",
    "spares",
    "documents",
    "releases",
    "quality",
    "mailin",
    "search",
    "monitoring",
    "team",
    "inspections",
    "security",
    "assurance",
    "reports",
    "portal",
    "ops",
]
if "pytest" in sys.modules:
    # Tests-only apps: the demo ticket kind proves a new kind needs only a model, a table and its
    # effects (tests/demo_kind). Never installed in the product (nor seen by makemigrations).
    INSTALLED_APPS.append("tests.demo_kind")

MIDDLEWARE = [
    "opsdesk.observability.RequestIdMiddleware",
    # POSTs to the monitoring receivers skip the rest of the stack (monitoring/fastpath.py).
    "monitoring.fastpath.ReceiverFastPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.readonly.AuditorReadOnlyMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.twofactor.TwoFactorMiddleware",
    "opsdesk.replica.ReplicaPinMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Django's form widgets are rendered by Jinja2 (Django's own Jinja2 widget templates), the admin's
# by the template language: a staff page renders 30+ fields and DTL spent ~0.3 ms on each (issue 19).
FORM_RENDERER = "opsdesk.form_tags.FormRenderer"

ROOT_URLCONF = "opsdesk.urls"
WSGI_APPLICATION = "opsdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "libraries": {"form_tags": "opsdesk.form_tags", "nav_tags": "opsdesk.nav_tags"},
            "builtins": ["opsdesk.url_tags"],  # `{% url %}` with its answers kept per process (issue 19)
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "notifications.context_processors.inbox_badge",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'opsdesk.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# A read replica for reports, dashboards and exports (opsdesk/replica.py): a streaming standby of the
# primary. Writes always go to the primary; in tests the replica alias mirrors the test database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("REPLICA_CONNECT_TIMEOUT", "3")))
# Fallback (opsdesk/replica.py): a replica that does not answer or lags more than this is not used.
REPLICA_MAX_LAG_SECONDS = int(os.environ.get("REPLICA_MAX_LAG_SECONDS", "300"))
REPLICA_HEALTH_SECONDS = int(os.environ.get("REPLICA_HEALTH_SECONDS", "10"))
DATABASE_ROUTERS = ["opsdesk.replica.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: web, worker and beat share one file without "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Lets opsdesk.statements.prepared() prepare the few statements whose planning costs more than
        # their run (the incident page's). Django's own cursors bind client-side and never prepare.
        _db.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
        # Those statements have every value but their key written in as a constant (statements.
        # constants_written_in), so one generic plan serves every key. Left to choose, PostgreSQL planned
        # some anew on every run (the HTML my-work rows: 0 generic, 12 custom plans) when it guessed its
        # generic plan for an id dearer. Only prepared statements have a plan cache: Django's own don't.
        _db["OPTIONS"]["options"] = f"{_db['OPTIONS'].get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackend",  # Django's, reading the session's user by a compiled statement
]
SESSION_ENGINE = "accounts.sessions"  # Django's database sessions, read by a prepared statement

# --- Enterprise sign-in (docs/operations.md, "Sign-in") ------------------------------------------
# Staff may sign in with the company directory (LDAP / Active Directory, django-auth-ldap): on when
# LDAP_SERVER_URI is set. Each login maps the user's directory groups to an OpsDesk role
# (LDAP_ROLE_MAP "group DN=role;group DN=role", first match wins; "admin" = superuser + manager).
# Customers (portal) keep local accounts and are never looked up in the directory.
LDAP_SERVER_URI = os.environ.get("LDAP_SERVER_URI", "").strip()
LDAP_ROLE_MAP: list[tuple[str, str]] = []
if LDAP_SERVER_URI:
    from .signin_settings import ldap_settings

    globals().update(ldap_settings(os.environ))
    AUTHENTICATION_BACKENDS.insert(1, "accounts.directory.DirectoryBackend")

# OpenID Connect (mozilla-django-oidc): on when OIDC_RP_CLIENT_ID is set, with the provider's endpoints.
# OIDC_ROLE_MAP "group=role;…" maps the groups claim (OIDC_GROUPS_CLAIM) to roles like LDAP_ROLE_MAP.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_ROLE_MAP: list[tuple[str, str]] = []
if OIDC_ENABLED:
    from .signin_settings import role_map_parse

    OIDC_ROLE_MAP = role_map_parse(os.environ.get("OIDC_ROLE_MAP", ""), variable="OIDC_ROLE_MAP")
    OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
    OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username")
    OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
    LOGIN_REDIRECT_URL_FAILURE = "/login/"
    AUTHENTICATION_BACKENDS.insert(1, "accounts.oidc.OIDCBackend")

# Two-factor sign-in (django-otp, TOTP): required for superusers and the roles below before any staff
# page; others may enrol in their settings. API token authentication is not affected. Enforced by
# default in the production profile; the local demo (scripts/run) leaves it optional so the printed
# demo logins work at once (OTP_ENFORCED=1 turns it on anywhere).
OTP_ENFORCED = env_bool("OTP_ENFORCED", PRODUCTION)
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", "manager")
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "OpsDesk")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+IP after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# A locked-out login: JSON 429 in the API's error shape under /api/, the translated error page elsewhere.
AXES_LOCKOUT_CALLABLE = "opsdesk.lockout.lockout_response"
# Forwarded headers (X-Forwarded-For) are believed only when the direct peer is one of these proxies
# (addresses or CIDR networks, e.g. "10.0.0.0/8,172.16.0.0/12"); empty = no proxy, REMOTE_ADDR is the client.
# One setting for the API throttles, django-axes and the /metrics allow-list (opsdesk.client_ip).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from _exc
AXES_CLIENT_IP_CALLABLE = "opsdesk.client_ip.client_ip"

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [Path(os.environ.get("OPSDESK_LOCALE_DIR", BASE_DIR / "locale"))]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# The service hotline customers are told to call (per organisation in admin; this is the default).
HOTLINE_NUMBER = os.environ.get("HOTLINE_NUMBER", "")
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.readonly.ReadOnlyAuditorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies (uploads declare multipart themselves): a form body cannot say null or a nested list,
    # so accepting one would accept input the schema cannot describe. Anything else is 415. The project's
    # parser turns a too deeply nested document into a 400 (opsdesk/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["opsdesk.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["opsdesk.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "opsdesk.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "opsdesk.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "opsdesk.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "opsdesk.throttling.AnonRateThrottle",
        "opsdesk.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("API_THROTTLE_USER", "100000/min"),
        "token": os.environ.get("API_THROTTLE_TOKEN", "20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpsDesk API",
    "DESCRIPTION": "ITIL service desk for IT operations & maintenance teams. Public API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every enum that two serializers name alike gets a name of its own (no hashed suffixes).
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.IncidentStatus",
        "RequestStatusEnum": "tickets.choices.RequestStatus",
        "FaultLevelEnum": "incidents.choices.FaultLevel",
        "FaultLevelCodeEnum": "notifications.choices.FAULT_LEVELS",  # the same four codes, without labels
        "ReplacementDecisionEnum": "spares.choices.ReplacementDecision",
        "MovementKindEnum": "spares.choices.MovementKind",
        "CallbackOutcomeEnum": "quality.choices.CallbackOutcome",
        "BackupRunOutcomeEnum": "assurance.choices.RunOutcome",
        "CIStatusEnum": "cmdb.choices.CIStatus",
        "RelationTypeEnum": "cmdb.choices.RelationType",
        "ProblemStatusEnum": "problems.choices.ProblemStatus",
        "DocumentStatusEnum": "documents.choices.DocumentStatus",
        "DocumentCategoryEnum": "documents.choices.DocumentCategory",  # vs the audit breaks' `category`
        "ChangeStatusEnum": "changes.choices.ChangeStatus",
        "ChangeTypeEnum": "changes.choices.ChangeType",
        "ReleaseStatusEnum": "releases.choices.ReleaseStatus",
        "UserRoleEnum": "accounts.choices.Role",
        "DutyRoleEnum": "duty.choices.DutyRole",
        "DutyRuleKindEnum": "duty.choices.RuleKind",
        "LeaveStatusEnum": "team.choices.LeaveStatus",
    },
    # Error responses (400/401/403/404/409/413/415/429) and area tags on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "opsdesk.api_schema.postprocess_schema",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Routing (docs/operations.md): every task of the project belongs to one queue class, so a long report
# never waits in front of a breach. The router resolves a class to the deployment's queue name
# (opsdesk.celery.queue_name); tests/ops/test_routing.py proves every registered task is listed here.
CELERY_TASK_ROUTES = ("opsdesk.celery.route_task",)
TASK_QUEUE_CLASSES: dict[str, str] = {
    "incidents.sla_sweep_task": "sla",
    "incidents.sla_notify_task": "sla",
    "incidents.sla_notify_batch_task": "sla",
    "tickets.approvals_sweep_task": "sla",
    "inspections.rounds_escalate_task": "sla",
    "notifications.delivery_send_task": "notifications",
    "notifications.deliveries_flush_task": "notifications",
    "notifications.digests_send_task": "notifications",
    "changes.customer_approval_send_task": "notifications",
    "changes.customer_approvals_send_due_task": "notifications",
    "quality.invitations_sweep_task": "notifications",
    "quality.rating_invitation_send_task": "notifications",
    "quality.survey_invitation_send_task": "notifications",
    "reports.report_email_send_task": "notifications",
    "reports.report_generate_task": "reports",
    "reports.schedules_sweep_task": "reports",
    "mailin.mailboxes_poll_sweep_task": "intake",
    "mailin.mailbox_poll_task": "intake",
    "monitoring.inbox_process_task": "intake",
    "quality.survey_rounds_schedule_task": "notifications",
    "security.findings_escalate_task": "sla",
    "assurance.backup_failure_task": "intake",
    "assurance.backups_sweep_task": "sla",
    "assurance.overdue_escalate_task": "sla",
    "tickets.audit_anchors_sweep_task": "default",
    "inspections.rounds_generate_task": "default",
}

# --- Mail -----------------------------------------------------------------------------------
# Django 6.1 mailers. EMAIL_BACKEND (env) picks the backend; SMTP reads EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS / EMAIL_USE_SSL from the environment.
_mail_backend = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION
                               else "django.core.mail.backends.console.EmailBackend")
_mail_options: dict[str, object] = {}
if _mail_backend.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS"),
        "use_ssl": env_bool("EMAIL_USE_SSL"),
        "timeout": 20,
    }
MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "opsdesk@localhost")
# Absolute base URL for links in emails and chat messages (e.g. https://opsdesk.example.com).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# E-mail intake (mailin/): outgoing mails about a ticket get a Message-ID recorded against it (the
# hook), so replies thread back. MAILIN_KEY encrypts stored mailbox passwords (default: from SECRET_KEY).
MAIL_THREAD_HOOK = "mailin.services.outbound_headers"
# Monitoring intake: how long a process trusts an alert source it authenticated (seconds; saving the
# source clears it in that process at once), and how often a receiver in queued mode kicks the inbox worker.
MONITORING_AUTH_CACHE_SECONDS = float(os.environ.get("MONITORING_AUTH_CACHE_SECONDS", "30"))
MONITORING_INBOX_KICK_SECONDS = float(os.environ.get("MONITORING_INBOX_KICK_SECONDS", "0.5"))
# Queued mode: the inbox insert commits without waiting for the WAL flush (docs/monitoring.md: at most
# the last ~0.6 s of accepted alerts lost if PostgreSQL itself crashes). Off: every 202 is durable.
MONITORING_INBOX_ASYNC_COMMIT = env_bool("MONITORING_INBOX_ASYNC_COMMIT", True)
MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN", "")
MAILIN_KEY = os.environ.get("MAILIN_KEY", "")
MAILIN_OLD_KEYS: list[str] = env_list("MAILIN_OLD_KEYS")
MAILIN_SENDER_RATE_PER_HOUR = int(os.environ.get("MAILIN_SENDER_RATE_PER_HOUR", "30"))

# --- Security (effective behind TLS in production) ------------------------------------------
# Each is settable from the environment; the production profile turns them on by default.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Load-balancer probes and the Prometheus scraper may speak plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(31_536_000 if PRODUCTION else 0)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
# Turning either off in production is a deliberate choice (e.g. plain-HTTP sibling subdomains): say so
# by the variable, and `check --deploy` stops warning about it.
SILENCED_SYSTEM_CHECKS = [
    *(["security.W005"] if PRODUCTION and not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
    *(["security.W021"] if PRODUCTION and not SECURE_HSTS_PRELOAD else []),
]

# Content-Security-Policy on every response (Django's own middleware): scripts and styles only from
# our own origin, no inline <script>, no inline event handlers, no style="" attributes, no eval.
# htmx is configured in base.html (htmx-config meta) not to inject its indicator <style> nor eval.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}

# /metrics (Prometheus) counts incidents over every organisation: only a scraper that sends
# `Authorization: Bearer <METRICS_TOKEN>` or comes from METRICS_ALLOWED_IPS (client address as read by
# opsdesk.client_ip) gets it; the counts are computed at most once per METRICS_CACHE_SECONDS.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_CACHE_SECONDS = int(os.environ.get("METRICS_CACHE_SECONDS", "30"))

# Logs: one JSON object per line (python-json-logger) with the request id of the request that wrote
# it (opsdesk/observability.py); LOG_FORMAT=text gives plain lines for a developer's terminal.
# Celery workers keep Celery's own log format (it takes over the root logger in a worker).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "opsdesk.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "text" if LOG_FORMAT == "text" else "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# Collectors whose samples /metrics appends (computed at scrape time from the database and the broker,
# so every web, worker and beat process on every host is counted once): see ops/metrics.py.
METRICS_COLLECTORS: list[str] = ["ops.metrics.collect"]

# Panels higher apps contribute to lower apps' pages, by URL name (loaded with htmx, so the lower app
# never imports the higher one). Incident panels take the incident's pk; hotline panels take none and
# receive the form's organization, ci, title and description as query parameters.
INCIDENT_PANELS: list[str] = [
    "problems:incident_panel",
    "spares:incident_panel",
    "reports:analysis_panel",
    "changes:incident_panel",
    "monitoring:incident_panel",
]
HOTLINE_PANELS: list[str] = [
    "duty:panel",
    "problems:hotline_panel",
    "cmdb:hotline_impact",
]
# CI panels take the CI's pk and show on the CI page (spare parts, documents, changes of that CI).
CI_PANELS: list[str] = [
    "documents:ci_panel",
    "spares:ci_panel",
    "changes:ci_panel",
    "assurance:ci_panel",
]
# Change panels take the change's pk and show on the change page (the releases that carry it).
# Entries of higher apps on the change calendar (releases/selectors.py calendar_entries).
CALENDAR_SOURCES: list[str] = [
    "inspections.calendar.calendar_round_entries",
    "assurance.calendar.calendar_drill_entries",
]
CHANGE_PANELS: list[str] = [
    "releases:change_panel",
]
# Demo data of higher apps, run by `manage.py seed_demo` after the incidents' own (see that command).
DEMO_SEEDERS: list[str] = [
    "cmdb.seed_data.seed",
    "problems.seed_data.seed",
    "documents.seed_data.seed",
    "spares.seed_data.seed",
    "changes.seed_data.seed",
    "releases.seed_data.seed",
    "inspections.seed_data.seed",
    "assurance.seed_data.seed",
    "reports.seed_data.seed",
    "mailin.seed_data.seed",
    "notifications.seed_data.seed",
    "savedfilters.seed_data.seed",
    "quality.seed_data.seed",
    "monitoring.seed_data.seed",
    "duty.seed_data.seed",
    "team.seed_data.seed",
]

# --- Audit chain key (tickets/audit.py) -----------------------------------------------------------
# Ticket events are chained with HMAC-SHA256 under a key that never lives in the database, so
# someone who can write the database cannot rewrite history and recompute the chain. Each event
# stores the id of the key it was signed with; old keys stay listed so old events keep verifying.
# Unset AUDIT_HMAC_KEY → a key derived from SECRET_KEY (and SECRET_KEY_FALLBACKS) is used, and
# `manage.py check --deploy` warns (tickets.W001). Rotation: README, "Audit history".
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", "")
AUDIT_HMAC_KEY_ID = os.environ.get("AUDIT_HMAC_KEY_ID", "k1")
# Earlier keys, "id:key" comma-separated (e.g. "k1:…,k2:…"): they verify, never sign.
AUDIT_HMAC_OLD_KEYS: list[str] = env_list("AUDIT_HMAC_OLD_KEYS")
# Other history chains signed the same way, verified by `manage.py verify_audit` after the tickets':
# callables `(*, batch) -> Iterator[tickets.audit.ChainBreak]` of apps above tickets.
AUDIT_EXTRA_CHAINS: list[str] = [
    "documents.audit.document_chain_verify",
]
# Idempotency-Key of API creates: how long a key replays its first response (tickets/idempotency.py).
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))

# --- Assurance (assurance/) ------------------------------------------------------------------------
# A backup job whose last passed restore test is older than this (days) is flagged (per job: its own setting).
ASSURANCE_RESTORE_MAX_AGE_DAYS = int(os.environ.get("ASSURANCE_RESTORE_MAX_AGE_DAYS", "90"))
# A drill must be recorded within this many working days after its window (the SLA calendar).
ASSURANCE_DRILL_RECORD_WORKING_DAYS = int(os.environ.get("ASSURANCE_DRILL_RECORD_WORKING_DAYS", "3"))
