-- Views of what outcome feedback sees, per model over time: how far each outcome fell from the
-- router's estimates for it (quality residual) and what it cost against what was predicted
-- (cost ratio). A provider that changes its price, or a model that silently regresses, shows
-- here as a step in its model's series; the router's /metrics show the same figures live
-- (router_feedback_observed_cost_ratio, router_feedback_quality_residual), these keep them.
--
-- Two predictions are compared with each outcome: the raw k-NN estimate (decisions.raw_*,
-- stored when feedback is on: what feedback learns from) and the estimate the policy used
-- (decisions.predicted_*, after any correction). The raw ratio steps up with a price change and
-- stays up; the used ratio steps up and comes back toward its old level once a correction
-- catches up. Read through the analyst role (SELECT via the default privileges of 0001).

-- One row per routed request with an outcome.
CREATE OR REPLACE VIEW switchyard.feedback_residuals AS
SELECT
  o.request_id,
  d.job_id,
  d.tenant,
  d.model,
  d.decided_at,
  o.completed_at,
  o.reward,
  d.raw_quality,
  d.predicted_quality,
  o.reward - d.raw_quality AS quality_residual,
  o.cost_usd,
  d.raw_cost_usd,
  d.predicted_cost_usd,
  o.cost_usd / NULLIF(d.raw_cost_usd, 0) AS cost_ratio,
  o.cost_usd / NULLIF(d.predicted_cost_usd, 0) AS used_cost_ratio
FROM switchyard.outcomes o
JOIN switchyard.decisions d ON d.request_id = o.request_id AND d.model = o.model
WHERE d.outcome = 'routed';

-- Per minute of completion, job and model. The cost sums are over the outcomes with a cost;
-- the ratios over the outcomes that have both values (the ratio estimator the router's cost
-- correction uses). Combine minutes by summing cost_usd and the predicted sums, not by
-- averaging ratios.
CREATE OR REPLACE VIEW switchyard.feedback_by_minute AS
SELECT
  date_trunc('minute', completed_at) AS minute,
  job_id,
  model,
  count(*) AS outcomes,
  count(reward) AS rewarded,
  avg(reward) AS mean_reward,
  avg(quality_residual) AS mean_quality_residual,
  avg(reward - predicted_quality) AS mean_used_quality_residual,
  sum(cost_usd) AS cost_usd,
  sum(raw_cost_usd) FILTER (WHERE cost_usd IS NOT NULL) AS raw_cost_usd,
  sum(predicted_cost_usd) FILTER (WHERE cost_usd IS NOT NULL) AS predicted_cost_usd,
  sum(cost_usd) FILTER (WHERE raw_cost_usd > 0) / NULLIF(sum(raw_cost_usd) FILTER (WHERE cost_usd IS NOT NULL AND raw_cost_usd > 0), 0) AS cost_ratio,
  sum(cost_usd) FILTER (WHERE predicted_cost_usd > 0) / NULLIF(sum(predicted_cost_usd) FILTER (WHERE cost_usd IS NOT NULL AND predicted_cost_usd > 0), 0) AS used_cost_ratio
FROM switchyard.feedback_residuals
GROUP BY 1, 2, 3;
