-- Answers handed back to the submitter: one row per executed request, the first result that
-- arrived. A model call repeated after an executor crash (calls are at-least-once) reports the
-- request again; ON CONFLICT (request_id) DO NOTHING keeps the first row, so a request never
-- has two answers. Unlike switchyard.outcomes (which keeps the greatest event for statistics),
-- this table never replaces a row: what the submitter downloads does not change under them.
CREATE TABLE IF NOT EXISTS switchyard.results (
  request_id        text PRIMARY KEY,
  job_id            text NOT NULL,
  -- The batch file's custom_id; null for native requests.
  custom_id         text,
  model             text NOT NULL,
  -- HTTP status of the final model call; null when no response arrived.
  status_code       integer CHECK (status_code IS NULL OR status_code BETWEEN 100 AND 599),
  -- The provider's response body (a chat completion, or its error body).
  response          jsonb,
  -- Reason the request has no answer (`<reason>: <detail>`); null on success.
  error             text,
  prompt_tokens     integer NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
  cost_usd          double precision CHECK (cost_usd IS NULL OR cost_usd >= 0),
  latency_ms        bigint NOT NULL CHECK (latency_ms >= 0),
  completed_at      timestamptz NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now()
);

-- `switchyard results` pages through a job in (custom_id, request_id) order with keyset
-- pagination; request_id breaks ties between rows that share a custom_id (a resubmitted job).
CREATE INDEX IF NOT EXISTS results_job_custom_idx ON switchyard.results (job_id, custom_id, request_id);
