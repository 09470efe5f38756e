-- Router decisions and the shared token-budget ledger.
--
-- decisions: one row per request that passed validation, keyed by request id. Rows are written
-- before the Kafka transaction that carries the same decision commits; if that transaction
-- aborts (crash, fencing), the request is consumed again and its new decision overwrites the
-- row (see libs/store/src/decisions.ts for the ordering rule), so the table converges on the
-- decision that was actually committed to Kafka.
CREATE TABLE IF NOT EXISTS switchyard.decisions (
  request_id         text PRIMARY KEY,
  job_id             text NOT NULL,
  tenant             text NOT NULL,
  outcome            text NOT NULL CHECK (outcome IN ('routed', 'deferred', 'rejected')),
  model              text,
  batch_id           text,
  fallback_rank      integer,
  prompt_tokens      integer NOT NULL CHECK (prompt_tokens >= 0),
  estimated_tokens   integer CHECK (estimated_tokens >= 0),
  predicted_quality  double precision,
  predicted_cost_usd double precision,
  score              double precision,
  dual_price         double precision,
  scores             jsonb NOT NULL DEFAULT '[]'::jsonb,
  reason             text,
  defer_until        timestamptz,
  deferrals          integer NOT NULL DEFAULT 0 CHECK (deferrals >= 0),
  policy             text NOT NULL,
  router_instance    text NOT NULL,
  source_topic       text NOT NULL,
  source_partition   integer NOT NULL,
  source_offset      bigint NOT NULL,
  decided_at         timestamptz NOT NULL,
  recorded_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((outcome = 'routed') = (model IS NOT NULL AND batch_id IS NOT NULL))
);

CREATE INDEX IF NOT EXISTS decisions_job_idx ON switchyard.decisions (job_id);
CREATE INDEX IF NOT EXISTS decisions_model_decided_idx ON switchyard.decisions (model, decided_at) WHERE model IS NOT NULL;
CREATE INDEX IF NOT EXISTS decisions_batch_idx ON switchyard.decisions (batch_id) WHERE batch_id IS NOT NULL;

-- budget_usage: tokens handed out per fixed window (aligned to the Unix epoch) of each budget
-- rule and subject (model, tenant or job). Router instances lease tokens from a row before
-- deciding and return what they did not use, so together they never exceed limit_tokens.
CREATE TABLE IF NOT EXISTS switchyard.budget_usage (
  rule_id          text NOT NULL,
  subject          text NOT NULL,
  window_start_ms  bigint NOT NULL,
  window_ms        bigint NOT NULL CHECK (window_ms > 0),
  limit_tokens     bigint NOT NULL CHECK (limit_tokens >= 0),
  used_tokens      bigint NOT NULL DEFAULT 0 CHECK (used_tokens >= 0),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, subject, window_start_ms)
);
