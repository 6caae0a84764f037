"""The receivers under /api/v1/integrations/ (shared/API.md): authenticated by each source's secret."""

from django.urls import path

from .. import views

urlpatterns = [
    path("integrations/alertmanager/", views.alertmanager, name="integrations-alertmanager"),
    path("integrations/zabbix/", views.zabbix, name="integrations-zabbix"),
    path("integrations/events/", views.events, name="integrations-events"),
]
