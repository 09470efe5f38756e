-- What the router's feedback loop needs, and budget leases that survive a crashed instance.
--
-- decisions: the features of a routed decision, written by the same upsert as the row (null
-- when feedback is off, and for deferred or rejected decisions). feature_embedding is the
-- prompt's unit embedding quantised to int8: 4 bytes of float32 scale (little endian), then
-- one signed byte per dimension (value = byte x scale). raw_* are the chosen model's k-NN
-- estimates before cost correction and exploration bonus (raw_output_tokens: expected
-- response tokens, before the request's max output cap). Retention: the router clears
-- feature_embedding on decisions older than its feedback.retentionDays.
ALTER TABLE switchyard.decisions
  ADD COLUMN IF NOT EXISTS feature_embedding bytea,
  ADD COLUMN IF NOT EXISTS raw_quality double precision,
  ADD COLUMN IF NOT EXISTS raw_cost_usd double precision,
  ADD COLUMN IF NOT EXISTS raw_output_tokens double precision;

-- outcomes.feedback_tx: the id of the transaction that last wrote the row, set by a trigger.
-- Readers take rows with feedback_tx below the oldest transaction still running
-- (pg_snapshot_xmin of their snapshot): those writers have all finished, and any later write
-- gets a larger id, so a watermark on (feedback_tx, request_id) never skips a row that commits
-- late (a plain sequence can: values are drawn in one order and committed in another).
ALTER TABLE switchyard.outcomes ADD COLUMN IF NOT EXISTS feedback_tx xid8;
UPDATE switchyard.outcomes SET feedback_tx = pg_current_xact_id() WHERE feedback_tx IS NULL;

CREATE OR REPLACE FUNCTION switchyard.outcomes_stamp_tx() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.feedback_tx := pg_current_xact_id();
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS outcomes_stamp_tx ON switchyard.outcomes;
CREATE TRIGGER outcomes_stamp_tx BEFORE INSERT OR UPDATE ON switchyard.outcomes
  FOR EACH ROW EXECUTE FUNCTION switchyard.outcomes_stamp_tx();

CREATE INDEX IF NOT EXISTS outcomes_feedback_tx_idx ON switchyard.outcomes (feedback_tx, request_id);

-- Lease owners: one row per running router incarnation, kept alive by heartbeats. A lease
-- whose owner's expires_at has passed (database clock) may be reclaimed by anyone.
CREATE TABLE IF NOT EXISTS switchyard.lease_owners (
  owner_id     text PRIMARY KEY,
  instance_id  text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);

-- budget_leases: tokens an owner took from a budget_usage window and has not settled yet.
-- Settling deletes the row (used tokens stay in budget_usage.used_tokens, the surplus goes
-- back); reclaiming an expired owner's row gives all of its tokens back, because the
-- decisions they were taken for never committed (see libs/store/src/decisions-budget.ts).
CREATE TABLE IF NOT EXISTS switchyard.budget_leases (
  owner_id         text NOT NULL,
  rule_id          text NOT NULL,
  subject          text NOT NULL,
  window_start_ms  bigint NOT NULL,
  tokens           bigint NOT NULL CHECK (tokens >= 0),
  taken_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, rule_id, subject, window_start_ms)
);

CREATE INDEX IF NOT EXISTS budget_leases_window_idx ON switchyard.budget_leases (rule_id, subject, window_start_ms);
