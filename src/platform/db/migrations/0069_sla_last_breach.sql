-- Each ticket's last SLA breach as its writes saw it (modules/sla): the latest breach, passed at a
-- write, of a target then in force under the ticket's policy. A metric keeps its current stretch
-- only (a next reply or periodic update starts anew), so without it a breach of an earlier stretch
-- was forgotten; automations' "hours since last SLA breach" reads the later of this and the
-- breaches passed of the targets in force now. A time only, in clear, on the tickets' rows (their
-- tenant isolation policy covers it).
ALTER TABLE tickets ADD COLUMN sla_last_breach_at timestamptz;

-- Backfill what the metric rows still show: per account (the policies force tenant isolation), the
-- latest breach passed of a target the ticket's policy still has for its priority (an active or
-- paused metric past it, or one met after it; never earlier than one kept). Breaches of stretches
-- already replaced are gone.
DO $$
DECLARE
  t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    UPDATE tickets k SET sla_last_breach_at = greatest(k.sla_last_breach_at, (
        SELECT max(m.breach_at) FROM ticket_sla_metrics m, sla_policies p
        WHERE m.tenant_id = t AND m.ticket_id = k.id AND p.tenant_id = t AND p.id = k.sla_policy_id
          AND p.policy_metrics @> jsonb_build_array(jsonb_build_object('metric', m.metric, 'priority', k.priority))
          AND m.breach_at <= now()
          AND (m.stage IN ('active', 'paused') OR (m.stage = 'achieved' AND m.fulfilled_at > m.breach_at))))
      WHERE k.tenant_id = t AND k.sla_policy_id IS NOT NULL;
  END LOOP;
END $$;
