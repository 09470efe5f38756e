-- Jobs submitted from provider batch files (OpenAI Batch, Anthropic Message Batches) record
-- their format like the native ones, so `switchyard job` says what was submitted.
ALTER TABLE switchyard.jobs DROP CONSTRAINT IF EXISTS jobs_source_format_check;
ALTER TABLE switchyard.jobs ADD CONSTRAINT jobs_source_format_check
  CHECK (source_format IN ('jsonl', 'csv', 'parquet', 'openai', 'anthropic'));
