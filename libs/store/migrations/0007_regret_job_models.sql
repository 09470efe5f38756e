-- regret_by_job compares a job with the models that executed at least one of its requests,
-- instead of every model that has statistics: a job restricted to some models (allowedModels,
-- a tenant's contract) must not be measured against one it could not use, and models retired
-- or used by other tenants only do not move its regret. Same columns as in 0006.
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
job_models AS NOT MATERIALIZED (
  SELECT DISTINCT job_id, model
  FROM switchyard.outcomes
),
counterfactual AS NOT MATERIALIZED (
  SELECT js.job_id, m.model, sum(js.n_reward * coalesce(s.mean_reward, m.mean_reward)) AS expected_reward
  FROM job_segments js
  JOIN job_models jm ON jm.job_id = js.job_id
  JOIN (SELECT model, mean_reward FROM means WHERE segment = '*') m ON m.model = jm.model
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
