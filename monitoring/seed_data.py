"""Demo data of the monitoring intake for `manage.py seed_demo` (settings.DEMO_SEEDERS): an
Alertmanager source with a documented demo token, a Zabbix source (basic auth) and a Nagios
source, three mapping rules for the video network of city-psb, and one storm already received
(a failing aggregation switch and its cameras: one incident). Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accounts.models import Organization, SupportGroup

from .choices import AuthScheme, CIMatch, OnRecovery, RuleAction, SourceKind
from .models import AlertRule, AlertSource
from .payloads import Alert
from .services import alert_source_create, alerts_ingest

# Demo secrets (documented in README "Monitoring intake"); change them in the admin for real use.
DEMO_ALERTMANAGER_TOKEN = "opsdesk-demo-alertmanager-token"
DEMO_ZABBIX_PASSWORD = "opsdesk-demo-zabbix-secret"
DEMO_NAGIOS_TOKEN = "opsdesk-demo-nagios-token"


def seed(*, now: datetime, stdout: Any) -> None:
    if AlertSource.objects.filter(name="Prometheus Alertmanager").exists():
        return
    org = Organization.objects.filter(code="city-psb").first()
    if org is None:
        return
    group = SupportGroup.objects.order_by("id").first()
    prometheus, _ = alert_source_create(name="Prometheus Alertmanager", kind=SourceKind.ALERTMANAGER,
                                        organization=org, secret=DEMO_ALERTMANAGER_TOKEN)
    alert_source_create(name="Zabbix", kind=SourceKind.ZABBIX, organization=org, auth_scheme=AuthScheme.BASIC,
                        username="zabbix", secret=DEMO_ZABBIX_PASSWORD)
    alert_source_create(name="Nagios", kind=SourceKind.EVENTS, organization=org, secret=DEMO_NAGIOS_TOKEN)
    AlertRule.objects.create(position=10, name="测试环境告警不建单", matchers={"env": "test|staging"},
                             action=RuleAction.IGNORE)
    AlertRule.objects.create(position=20, name="视频专网设备（按主机名找配置项）",
                             matchers={"host": "(路口摄像机|汇聚交换机|视频专线|流媒体服务器).*"},
                             organization=org, ci_match=CIMatch.NAME, ci_label="host", group=group,
                             on_recovery=OnRecovery.RESTORE, max_incidents_per_minute=20)
    AlertRule.objects.create(position=90, name="其余告警（按管理 IP 找配置项）", matchers={},
                             organization=org, ci_match=CIMatch.IP, ci_label="instance")
    # A storm already received: the aggregation switch and the four cameras behind it.
    start = now - timedelta(minutes=20)
    storm = [Alert(fingerprint="demo-switch-01", firing=True, title="汇聚交换机-01 无法访问",
                   labels={"alertname": "DeviceDown", "host": "汇聚交换机-01", "severity": "critical"},
                   starts_at=start)]
    storm += [Alert(fingerprint=f"demo-camera-{n:02d}", firing=True, title=f"路口摄像机-{n:02d} 视频丢失",
                    labels={"alertname": "VideoLoss", "host": f"路口摄像机-{n:02d}", "severity": "warning"},
                    starts_at=start) for n in (3, 6, 9, 12)]
    alerts_ingest(source=prometheus, alerts=storm, now=start)
    alerts_ingest(source=prometheus, alerts=storm, now=start + timedelta(minutes=5))  # Alertmanager re-sends
    stdout.write(f"Monitoring: Alertmanager token {DEMO_ALERTMANAGER_TOKEN}; Zabbix basic auth "
                 f"zabbix / {DEMO_ZABBIX_PASSWORD}; Nagios token {DEMO_NAGIOS_TOKEN}\n")
