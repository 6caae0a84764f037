-- SLA clocks for the rows the HTTP benchmark reads (run_http_bench.sh runs this before measuring).
-- seed_bulk predates the SLA engine and writes no clocks, so without this every list row would take
-- the cheap "no clocks" path and `sla.targets` would be empty. Covered: the open incidents of the
-- queue (new/assigned, unassigned) and of the benchmark engineer, and every incident of the
-- benchmark organisation reported in the last seven months (its closed ones: met clocks).
-- One clock per target the incident has a deadline for (`*_due`), met when the matching time is set.
-- The clocks are inert: next_check_at is NULL, so an SLA sweep never acts on them (bench_sla_sweep.py
-- still refuses to run while incident clocks exist: use its --drop-existing). Idempotent.
\set ON_ERROR_STOP on
CREATE TEMP TABLE bench_rows AS
SELECT i.id FROM incidents_incident i
 WHERE (i.assignee_id IS NULL AND i.status IN ('new', 'assigned'))
    OR (i.assignee_id = (SELECT id FROM accounts_user WHERE username = :'engineer')
        AND i.status IN ('new', 'assigned', 'in_progress', 'pending', 'resolved', 'observing'))
    OR (i.organization_id = (SELECT id FROM accounts_organization WHERE code LIKE 'bulk-org-%' ORDER BY code LIMIT 1)
        AND i.reported_at >= now() - interval '7 months');
INSERT INTO tickets_slaclock (ticket_kind, ticket_id, organization_id, target, clock, state, started_at, due_at,
                              warnings, warned_pct, next_check_at, paused_at, met_at, breached_at, escalations)
SELECT 'incident', i.id, i.organization_id, t.target, '24x7',
       CASE WHEN t.met_at IS NOT NULL THEN 'met' WHEN t.due_at < now() THEN 'breached' ELSE 'running' END,
       i.reported_at, t.due_at, '[]'::jsonb, 0, NULL, NULL, t.met_at,
       CASE WHEN t.met_at IS NULL AND t.due_at < now() THEN t.due_at
            WHEN t.met_at > t.due_at THEN t.due_at END, 0
  FROM incidents_incident i JOIN bench_rows b ON b.id = i.id
  CROSS JOIN LATERAL (VALUES ('respond', i.respond_due, i.responded_at), ('onsite', i.onsite_due, i.onsite_at),
                             ('restore', i.restore_due, i.restored_at), ('resolve', i.resolve_due, i.resolved_at))
       AS t(target, due_at, met_at)
 WHERE t.due_at IS NOT NULL
ON CONFLICT DO NOTHING;
ANALYZE tickets_slaclock;
SELECT count(*) AS incident_clocks FROM tickets_slaclock WHERE ticket_kind = 'incident';
