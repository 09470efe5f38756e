-- Quality labels that arrive after the outcome (`switchyard label JOB labels.jsonl`).
--
-- A label enters the outcomes path as a newer version of the request's outcome event (same
-- usage and cost, quality = the label), so the statistics and the router's feedback learn from
-- it like from any outcome. This table keeps what analysts need beside it: the label, the
-- quality the executor reported before the first label (kept when a later label replaces an
-- earlier one), and how many labels the request got.
CREATE TABLE IF NOT EXISTS switchyard.outcome_labels (
  request_id        text PRIMARY KEY,
  job_id            text NOT NULL,
  quality           double precision NOT NULL CHECK (quality >= 0 AND quality <= 1),
  executor_quality  double precision CHECK (executor_quality IS NULL OR (executor_quality >= 0 AND executor_quality <= 1)),
  labels            integer NOT NULL DEFAULT 1 CHECK (labels >= 1),
  first_labelled_at timestamptz NOT NULL DEFAULT now(),
  labelled_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS outcome_labels_job_idx ON switchyard.outcome_labels (job_id);

-- Labelled quality next to executor-reported quality, per request, and per job and model.
CREATE OR REPLACE VIEW switchyard.labelled_outcomes AS
SELECT
  l.request_id,
  l.job_id,
  o.model,
  o.segment,
  l.executor_quality,
  l.quality AS label_quality,
  o.quality AS recorded_quality,
  o.quality IS NOT DISTINCT FROM l.quality AS label_applied,
  l.labels,
  l.labelled_at
FROM switchyard.outcome_labels l
LEFT JOIN switchyard.outcomes o USING (request_id);

CREATE OR REPLACE VIEW switchyard.label_quality_by_model AS
SELECT
  l.job_id,
  o.model,
  count(*) AS labelled,
  avg(l.executor_quality) AS mean_executor_quality,
  avg(l.quality) AS mean_label_quality,
  avg(l.quality - l.executor_quality) AS mean_label_minus_executor
FROM switchyard.outcome_labels l
JOIN switchyard.outcomes o USING (request_id)
GROUP BY l.job_id, o.model;
