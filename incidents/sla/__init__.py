"""The SLA engine for incidents: clocks per target, the sweep's effects, escalation.

A package read top-down: `policy` (targets, thresholds, defaults) → `notify` (payloads, queued by
task name after commit) and `escalation` (who is told) → `clocks` (the hooks the services call) and
`presentation` (pages, API, reports) → `sweep` (the beat sweep). It never imports the incident
services or tasks: the sweep's auto-close is registered by IncidentsConfig.ready().

Services call the hooks here while they hold the incident's row lock (lock order: incident, then
its clocks; the sweep takes the same order). Deadlines are computed by the pure functions in
tickets/sla/, stored on the clocks (tickets/clocks.py) and mirrored into the incident's `*_due`
and `sla_next_due` columns. The sweep detects crossings with conditional UPDATEs; only the caller
whose UPDATE hit the row writes the timeline event, climbs the escalation chain and queues the
notification (on commit), so running it twice or on two workers at once does everything once.

Choices worth knowing:
* Respond is met on accept/arrive, on-site on arrive, restore on restore/resolve, resolve on
  resolve; restoring also meets an on-site target nobody travelled for (fixed remotely) and the
  progress clock. The fault-report clock starts at resolution and is met when the report is
  submitted.
* Reopen restarts the restore and resolve clocks (and the progress clock, where the level has one)
  with their full targets from the reopen time; respond/on-site stay as they were; an unmet report
  clock is frozen until the next resolution restarts it.
* Close freezes every unmet clock except the fault report's (an overdue report still escalates);
  cancel freezes all. Frozen = paused at that instant, never checked again.
* Each warning threshold and the breach is recorded exactly once, even after a worker outage: a
  late sweep that finds several thresholds passed records each of them, the missed ones marked
  `late` (with the instant they were crossed), then the highest (or the breach). Only the newest
  is notified: the late ones are history, not news. Progress clocks have no warnings: a missed
  update is a reminder, and the clock rolls on to the next interval until service is restored.
  Reminders do not escalate.
"""

from __future__ import annotations

from .clocks import (
    Prepared,
    incident_sla_after_update,
    incident_sla_level_changed,
    incident_sla_on_progress,
    incident_sla_on_report,
    incident_sla_prepare,
    incident_sla_start,
    incident_sla_transition,
)
from .escalation import escalation_chain, escalation_recipients
from .notify import notify, notify_on_commit
from .policy import (
    DEFAULT_CHAIN,
    DUE_FIELDS,
    KIND,
    MAX_ESCALATION,
    START_TARGETS,
    TARGET_ORDER,
    incident_policy,
    observation_period,
    system_actor,
)
from .presentation import clock_view_state, incident_sla_view, sla_filter
from .sweep import SweepConflict, SweepSummary, sla_sweep, sweep_register_closer

_view_state = clock_view_state  # the name incidents/api/serializers.py and other branches import

__all__ = [
    "DEFAULT_CHAIN", "DUE_FIELDS", "KIND", "MAX_ESCALATION", "START_TARGETS", "TARGET_ORDER", "Prepared",
    "SweepConflict", "SweepSummary", "clock_view_state", "escalation_chain", "escalation_recipients", "incident_policy",
    "incident_sla_after_update", "incident_sla_level_changed", "incident_sla_on_progress", "incident_sla_on_report",
    "incident_sla_prepare", "incident_sla_start", "incident_sla_transition", "incident_sla_view", "notify",
    "notify_on_commit", "observation_period", "sla_filter", "sla_sweep", "sweep_register_closer", "system_actor",
]
