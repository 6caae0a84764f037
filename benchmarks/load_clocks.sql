-- Live SLA clocks for the load run (run_load.sh, LIVE_CLOCKS > 0): seed_bulk writes no clocks, so
-- without this the SLA sweep would have nothing to do during the run and "lag <= 15 s" would be
-- trivially true. :n open incidents (in progress or pending; not the benchmark engineer's, not the
-- first bulk organisation's, so bench_speed.py's rows are untouched) get a running restore clock that
-- breaches during the run: due times are spread evenly from 20 s after the start over :seconds, and
-- next_check_at is the due time, so every sweep finds some falling due (a breach, an escalation, its
-- notifications). Incidents that already have clocks are skipped; run it again for a new run.
\set ON_ERROR_STOP on
WITH picked AS (
  SELECT i.id, i.organization_id, i.reported_at,
         row_number() OVER (ORDER BY md5(i.id::text)) AS n
    FROM incidents_incident i
   WHERE i.status IN ('in_progress', 'pending')
     AND i.assignee_id IS DISTINCT FROM (SELECT id FROM accounts_user WHERE username = 'bulk_engineer_001')
     AND i.organization_id <> (SELECT id FROM accounts_organization WHERE code LIKE 'bulk-org-%' ORDER BY code LIMIT 1)
     AND NOT EXISTS (SELECT 1 FROM tickets_slaclock c WHERE c.ticket_kind = 'incident' AND c.ticket_id = i.id)
   ORDER BY md5(i.id::text)
   LIMIT :n
)
INSERT INTO tickets_slaclock (ticket_kind, ticket_id, organization_id, target, clock, state, started_at, due_at,
                              warnings, warned_pct, next_check_at, paused_at, met_at, breached_at, escalations)
SELECT 'incident', p.id, p.organization_id, 'restore', '24x7', 'running', now() - interval '4 hours',
       now() + interval '20 seconds' + (p.n * :seconds / :n) * interval '1 second', '[]'::jsonb, 100,
       now() + interval '20 seconds' + (p.n * :seconds / :n) * interval '1 second', NULL, NULL, NULL, 0
  FROM picked p
ON CONFLICT DO NOTHING;
SELECT count(*) FROM tickets_slaclock WHERE state = 'running' AND next_check_at > now();
