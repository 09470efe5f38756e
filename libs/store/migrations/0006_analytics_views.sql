-- Views for analysts (read through the switchyard_analyst role: SELECT only, read-only
-- sessions). docs/analytics.md documents every column and has example queries that the tests
-- run. Views read through the owner's rights, and the default privileges of migration 0001 give
-- the analyst SELECT on each of them.
--
-- Days are UTC calendar days. Views over the rollups (outcome_daily, outcome_stats) read
-- thousands of rows whatever the traffic; views over decisions and outcomes rely on a filter
-- (job, tenant, day) that an index below serves, so they stay fast at tens of millions of rows.

-- Decision indexes for the analysts' filters (decisions_job_idx and decisions_model_decided_idx
-- come with migration 0002). The day expressions match the views' `day` columns exactly, so a
-- `WHERE day = ...` on a view is answered from the index.
CREATE INDEX IF NOT EXISTS decisions_day_idx ON switchyard.decisions (((decided_at AT TIME ZONE 'UTC')::date));
CREATE INDEX IF NOT EXISTS decisions_tenant_day_idx ON switchyard.decisions (tenant, ((decided_at AT TIME ZONE 'UTC')::date));
CREATE INDEX IF NOT EXISTS outcomes_day_idx ON switchyard.outcomes (((completed_at AT TIME ZONE 'UTC')::date));

-- One row per routing decision, with its outcome when one was recorded (executed = true).
CREATE OR REPLACE VIEW switchyard.routing_outcomes AS
SELECT
  d.request_id,
  d.job_id,
  d.tenant,
  (d.decided_at AT TIME ZONE 'UTC')::date AS day,
  d.decided_at,
  d.outcome AS decision,
  d.reason,
  d.model,
  d.batch_id,
  d.policy,
  d.fallback_rank,
  d.deferrals,
  d.prompt_tokens AS routed_prompt_tokens,
  d.estimated_tokens,
  d.predicted_quality,
  d.predicted_cost_usd,
  d.dual_price,
  o.request_id IS NOT NULL AS executed,
  o.segment,
  o.quality,
  o.success,
  o.reward,
  o.error,
  o.prompt_tokens,
  o.completion_tokens,
  o.prompt_tokens + o.completion_tokens AS actual_tokens,
  o.cost_usd,
  o.cost_source,
  o.latency_ms,
  o.completed_at
FROM switchyard.decisions d
LEFT JOIN switchyard.outcomes o ON o.request_id = d.request_id;

-- Decisions per UTC day, job, tenant, decision (routed, deferred, rejected) and model.
CREATE OR REPLACE VIEW switchyard.decisions_daily AS
SELECT
  (decided_at AT TIME ZONE 'UTC')::date AS day,
  job_id,
  tenant,
  outcome AS decision,
  model,
  count(*) AS requests,
  count(*) FILTER (WHERE fallback_rank > 0) AS fallbacks,
  sum(estimated_tokens) AS estimated_tokens,
  sum(predicted_cost_usd) AS predicted_cost_usd,
  avg(predicted_quality) AS mean_predicted_quality
FROM switchyard.decisions
GROUP BY 1, 2, 3, 4, 5;

-- Executed requests per UTC day of completion, job, tenant and model (from the rollup the
-- recorder maintains; tenant '' when the executor did not report one).
CREATE OR REPLACE VIEW switchyard.outcomes_daily AS
SELECT
  day,
  job_id,
  tenant,
  model,
  n AS executed,
  n_errors AS errors,
  n_errors::float8 / n AS error_rate,
  n_reward AS rewarded,
  sum_reward::float8 AS total_reward,
  (sum_reward / NULLIF(n_reward, 0))::float8 AS mean_reward,
  sum_prompt_tokens AS prompt_tokens,
  sum_completion_tokens AS completion_tokens,
  sum_cost_usd::float8 AS cost_usd,
  (sum_cost_usd / NULLIF(n_cost, 0))::float8 AS cost_per_request_usd,
  (sum_latency_ms::numeric / n)::float8 AS mean_latency_ms
FROM switchyard.outcome_daily
WHERE n > 0;

-- Running reward statistics per model (segment '*') and per model and segment: what the
-- router learns from. reward_ci95 is the half-width of a normal-approximation 95% interval.
CREATE OR REPLACE VIEW switchyard.model_performance AS
SELECT
  model,
  segment,
  n AS executed,
  n_errors AS errors,
  n_errors::float8 / n AS error_rate,
  n_reward AS rewarded,
  (sum_reward / NULLIF(n_reward, 0))::float8 AS mean_reward,
  CASE WHEN n_reward > 1 THEN sqrt(greatest(0, (sum_reward_sq - sum_reward * sum_reward / n_reward) / (n_reward - 1)))::float8 END AS reward_stddev,
  CASE WHEN n_reward > 1 THEN (1.96 * sqrt(greatest(0, (sum_reward_sq - sum_reward * sum_reward / n_reward) / (n_reward - 1)) / n_reward))::float8 END AS reward_ci95,
  (sum_prompt_tokens::numeric / n)::float8 AS mean_prompt_tokens,
  (sum_completion_tokens::numeric / n)::float8 AS mean_completion_tokens,
  (sum_latency_ms::numeric / n)::float8 AS mean_latency_ms,
  (sum_cost_usd / NULLIF(n_cost, 0))::float8 AS mean_cost_usd,
  (sum_reward / NULLIF(sum_cost_usd, 0))::float8 AS reward_per_usd,
  updated_at
FROM switchyard.outcome_stats
WHERE n > 0;

-- Cost against quality per job and model, over the job's whole life.
CREATE OR REPLACE VIEW switchyard.cost_quality_by_job AS
SELECT
  job_id,
  model,
  sum(n) AS executed,
  sum(n_errors) AS errors,
  (sum(sum_reward) / NULLIF(sum(n_reward), 0))::float8 AS mean_reward,
  sum(sum_reward)::float8 AS total_reward,
  sum(sum_cost_usd)::float8 AS cost_usd,
  (sum(sum_cost_usd) / NULLIF(sum(n_cost), 0))::float8 AS cost_per_request_usd,
  (sum(sum_reward) / NULLIF(sum(sum_cost_usd), 0))::float8 AS reward_per_usd,
  sum(sum_prompt_tokens + sum_completion_tokens) AS tokens
FROM switchyard.outcome_daily
GROUP BY job_id, model;

-- Token budget windows: what the routers leased from each window against its limit (only
-- with the shared Postgres ledger). scope is model, tenant or job.
CREATE OR REPLACE VIEW switchyard.budget_use AS
SELECT
  rule_id,
  split_part(rule_id, ':', 1) AS scope,
  subject,
  CASE window_ms WHEN 60000 THEN 'minute' WHEN 86400000 THEN 'day' ELSE window_ms || ' ms' END AS window_kind,
  to_timestamp(window_start_ms / 1000.0) AS window_start,
  to_timestamp((window_start_ms + window_ms) / 1000.0) AS window_end,
  limit_tokens,
  used_tokens,
  used_tokens::float8 / NULLIF(limit_tokens, 0) AS utilisation,
  updated_at
FROM switchyard.budget_usage;

-- Regret of each job against the best single model in hindsight, estimated from the observed
-- rewards: only the chosen model's outcome of a request is known, so the reward another model
-- would have earned on it is that model's mean reward on the request's segment (its overall
-- mean when it has no outcome in that segment yet). best_model maximises the job's expected
-- total reward under those means; regret = best_expected_reward - realized_reward (negative
-- when routing beat every single model). Requests without a known reward are left out.
-- NOT MATERIALIZED lets a `WHERE job_id = ...` reach the outcomes_job_idx scan.
CREATE OR REPLACE VIEW switchyard.regret_by_job AS
WITH job_segments AS NOT MATERIALIZED (
  SELECT job_id, coalesce(segment, '*') AS segment, count(reward) AS n_reward, coalesce(sum(reward), 0) AS realized
  FROM switchyard.outcomes
  GROUP BY job_id, coalesce(segment, '*')
),
means AS (
  SELECT model, segment, (sum_reward / n_reward)::float8 AS mean_reward
  FROM switchyard.outcome_stats
  WHERE n_reward > 0
),
counterfactual AS NOT MATERIALIZED (
  SELECT js.job_id, m.model, sum(js.n_reward * coalesce(s.mean_reward, m.mean_reward)) AS expected_reward
  FROM job_segments js
  CROSS JOIN (SELECT model, mean_reward FROM means WHERE segment = '*') m
  LEFT JOIN means s ON s.model = m.model AND s.segment = js.segment
  GROUP BY js.job_id, m.model
),
best AS NOT MATERIALIZED (
  SELECT DISTINCT ON (job_id) job_id, model AS best_model, expected_reward AS best_expected_reward
  FROM counterfactual
  ORDER BY job_id, expected_reward DESC, model
)
SELECT
  j.job_id,
  sum(j.n_reward) AS rewarded,
  sum(j.realized) AS realized_reward,
  b.best_model,
  b.best_expected_reward,
  b.best_expected_reward - sum(j.realized) AS regret,
  (b.best_expected_reward - sum(j.realized)) / NULLIF(sum(j.n_reward), 0) AS regret_per_request
FROM job_segments j
JOIN best b ON b.job_id = j.job_id
GROUP BY j.job_id, b.best_model, b.best_expected_reward;
