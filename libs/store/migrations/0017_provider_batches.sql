-- Provider batches in flight: which OpenAI-style batch (provider batch id) a routed batch was
-- submitted as. An executor that stops or crashes while a provider batch runs leaves its routed
-- batch uncommitted; whoever consumes the routed batch next finds the provider batch here and
-- polls it instead of submitting (and paying for) the same requests again.
CREATE TABLE IF NOT EXISTS switchyard.provider_batches (
  routed_batch_id   text NOT NULL,
  model             text NOT NULL,
  provider_batch_id text NOT NULL,
  input_file_id     text NOT NULL,
  -- Requests written to the provider batch (the routed batch's requests with a sendable body).
  requests          integer NOT NULL CHECK (requests > 0),
  -- Last status seen (validating, in_progress, ..., completed); informational.
  status            text NOT NULL,
  submitted_at      timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (routed_batch_id, model)
);
