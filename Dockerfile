# OpsDesk production image: gunicorn web, Celery worker and beat all run from it.
FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 OPSDESK_VAR_DIR=/var/lib/opsdesk
# Pango/HarfBuzz for WeasyPrint PDFs and CJK fonts so Chinese reports render with real glyphs.
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
# python-ldap (directory sign-in) compiles against the OpenLDAP/SASL headers; the build tools leave again.
RUN apt-get update && apt-get install -y --no-install-recommends libldap2-dev libsasl2-dev gcc \
    && pip install -r requirements.txt \
    && apt-get purge -y --auto-remove libldap2-dev libsasl2-dev gcc && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN mkdir -p /var/lib/opsdesk && SECRET_KEY=build python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "opsdesk.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "2"]
