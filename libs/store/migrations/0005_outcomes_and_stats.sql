-- Outcomes reported by model executors, and the running statistics the router reads back.
--
-- outcomes: one row per executed request, keyed by request id. Executors may report a request
-- more than once (redelivery after a crash, a retry that finished later). The recorder keeps
-- the event that is greatest in the order (completed_at_ms, event_digest): an identical event
-- is a no-op, an older one is ignored, a newer one replaces the row. That order is total, so
-- the table ends in the same state whatever order the events arrive in. There is no foreign
-- key to decisions: an outcome may be recorded before its decision row lands (or is rewritten
-- by a replayed routing transaction); views join the two by request id.
CREATE TABLE IF NOT EXISTS switchyard.outcomes (
  request_id        text PRIMARY KEY,
  job_id            text NOT NULL,
  tenant            text,
  model             text NOT NULL,
  batch_id          text NOT NULL,
  -- Task or cluster the request belongs to (the executor's `segment` header); null when unknown.
  segment           text CHECK (segment IS NULL OR (segment <> '*' AND length(segment) BETWEEN 1 AND 128)),
  quality           double precision CHECK (quality IS NULL OR (quality >= 0 AND quality <= 1)),
  success           boolean,
  -- quality, else 1/0 from success, else 0 when error is set; null when nothing says.
  reward            double precision CHECK (reward IS NULL OR (reward >= 0 AND reward <= 1)),
  prompt_tokens     integer NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
  latency_ms        bigint NOT NULL CHECK (latency_ms >= 0),
  error             text,
  cost_usd          double precision CHECK (cost_usd IS NULL OR cost_usd >= 0),
  cost_source       text CHECK (cost_source IN ('reported', 'derived')),
  completed_at      timestamptz NOT NULL,
  completed_at_ms   bigint NOT NULL,
  event_digest      text NOT NULL,
  -- Distinct events seen for this request (1 + replacements); duplicates do not count.
  versions          integer NOT NULL DEFAULT 1 CHECK (versions >= 1),
  source_topic      text NOT NULL,
  source_partition  integer NOT NULL,
  source_offset     bigint NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((cost_usd IS NULL) = (cost_source IS NULL))
);

CREATE INDEX IF NOT EXISTS outcomes_job_idx ON switchyard.outcomes (job_id);
CREATE INDEX IF NOT EXISTS outcomes_model_completed_idx ON switchyard.outcomes (model, completed_at);
CREATE INDEX IF NOT EXISTS outcomes_tenant_completed_idx ON switchyard.outcomes (tenant, completed_at);
CREATE INDEX IF NOT EXISTS outcomes_completed_idx ON switchyard.outcomes (completed_at);

-- outcome_stats: per model (segment '*') and per model and segment, the sufficient statistics
-- of the reward (count, sum, sum of squares: mean and variance follow) and token, latency and
-- cost sums. Updated in the same transaction as outcomes, by the difference each event makes
-- (a replacement subtracts the old row and adds the new one), so duplicates never count twice.
-- Reward sums are numeric: exact addition makes the totals independent of arrival order.
CREATE TABLE IF NOT EXISTS switchyard.outcome_stats (
  model                  text NOT NULL,
  segment                text NOT NULL,
  n                      bigint NOT NULL DEFAULT 0 CHECK (n >= 0),
  n_errors               bigint NOT NULL DEFAULT 0 CHECK (n_errors >= 0),
  n_reward               bigint NOT NULL DEFAULT 0 CHECK (n_reward >= 0),
  sum_reward             numeric NOT NULL DEFAULT 0,
  sum_reward_sq          numeric NOT NULL DEFAULT 0,
  sum_prompt_tokens      bigint NOT NULL DEFAULT 0,
  sum_completion_tokens  bigint NOT NULL DEFAULT 0,
  sum_latency_ms         bigint NOT NULL DEFAULT 0,
  n_cost                 bigint NOT NULL DEFAULT 0 CHECK (n_cost >= 0),
  sum_cost_usd           numeric NOT NULL DEFAULT 0,
  updated_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, segment)
);

-- outcome_daily: the same sums per UTC day of completion, job, tenant and model, so reports by
-- day, job, tenant or model read thousands of rollup rows instead of millions of outcomes.
-- tenant '' when the outcome did not carry one.
CREATE TABLE IF NOT EXISTS switchyard.outcome_daily (
  day                    date NOT NULL,
  job_id                 text NOT NULL,
  tenant                 text NOT NULL,
  model                  text NOT NULL,
  n                      bigint NOT NULL DEFAULT 0 CHECK (n >= 0),
  n_errors               bigint NOT NULL DEFAULT 0 CHECK (n_errors >= 0),
  n_reward               bigint NOT NULL DEFAULT 0 CHECK (n_reward >= 0),
  sum_reward             numeric NOT NULL DEFAULT 0,
  sum_prompt_tokens      bigint NOT NULL DEFAULT 0,
  sum_completion_tokens  bigint NOT NULL DEFAULT 0,
  sum_latency_ms         bigint NOT NULL DEFAULT 0,
  n_cost                 bigint NOT NULL DEFAULT 0 CHECK (n_cost >= 0),
  sum_cost_usd           numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (day, job_id, tenant, model)
);

CREATE INDEX IF NOT EXISTS outcome_daily_job_idx ON switchyard.outcome_daily (job_id, day);
CREATE INDEX IF NOT EXISTS outcome_daily_tenant_idx ON switchyard.outcome_daily (tenant, day);
CREATE INDEX IF NOT EXISTS outcome_daily_model_idx ON switchyard.outcome_daily (model, day);
