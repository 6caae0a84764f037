"""Celery routing (issue 17): every task of the project is routed to a queue class, and a report
never shares the SLA queue, so a long report cannot delay a breach."""

from __future__ import annotations

from django.conf import settings

from opsdesk.celery import QUEUE_CLASSES, app, queue_name


def _project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_task_is_routed_to_a_known_queue_class():
    tasks = _project_tasks()
    assert len(tasks) >= 20
    missing = [name for name in tasks if name not in settings.TASK_QUEUE_CLASSES]
    assert missing == [], f"tasks without a queue class in settings.TASK_QUEUE_CLASSES: {missing}"
    stale = sorted(set(settings.TASK_QUEUE_CLASSES) - set(tasks))
    assert stale == [], f"TASK_QUEUE_CLASSES names tasks that do not exist: {stale}"
    assert set(settings.TASK_QUEUE_CLASSES.values()) <= set(QUEUE_CLASSES)


def test_the_router_sends_each_task_to_its_own_queue_and_reports_never_to_sla():
    routed = {name: app.amqp.router.route({}, name)["queue"].name for name in _project_tasks()}
    sla = queue_name("sla")
    assert routed["incidents.sla_sweep_task"] == sla
    assert routed["reports.report_generate_task"] == queue_name("reports")
    assert routed["mailin.mailbox_poll_task"] == queue_name("intake")
    assert routed["notifications.delivery_send_task"] == queue_name("notifications")
    reports = [name for name in routed if name.startswith("reports.")]
    assert reports and all(routed[name] != sla for name in reports)
    # Every queue a task is routed to is consumed by a worker started without -Q.
    consumed = {q.name for q in app.conf.task_queues}
    assert set(routed.values()) <= consumed


def test_a_deployment_queue_name_prefixes_every_class():
    assert queue_name("sla", "default") == "sla"
    assert queue_name("default", "default") == "default"
    assert queue_name("sla", "acme") == "acme.sla"
    assert queue_name("default", "acme") == "acme"
    saved = app.conf.task_default_queue
    try:
        app.conf.task_default_queue = "it-run"
        route = app.amqp.router.route({}, "reports.report_generate_task")
        assert (route["queue"].name, route["routing_key"]) == ("it-run.reports", "it-run.reports")
    finally:
        app.conf.task_default_queue = saved
