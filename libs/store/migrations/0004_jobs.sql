-- Bulk jobs submitted with `switchyard submit`, and their refused lines.
--
-- jobs: one row per job id. A job submitted again (same id, e.g. after a crash) keeps its row:
-- attempts counts the submissions, the line counts are those of the latest one, submitted_at is
-- the first submission. Line counts are what the submitter saw; what the router did with each
-- request is in switchyard.decisions (job_id), outcomes in the outcomes tables.
CREATE TABLE IF NOT EXISTS switchyard.jobs (
  job_id          text PRIMARY KEY,
  tenant          text NOT NULL,
  source          text NOT NULL,
  source_format   text NOT NULL CHECK (source_format IN ('jsonl', 'csv', 'parquet')),
  source_bytes    bigint NOT NULL CHECK (source_bytes >= 0),
  topic           text NOT NULL,
  status          text NOT NULL CHECK (status IN ('submitting', 'submitted', 'failed')),
  attempts        integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  lines_read      bigint NOT NULL DEFAULT 0 CHECK (lines_read >= 0),
  lines_produced  bigint NOT NULL DEFAULT 0 CHECK (lines_produced >= 0),
  lines_rejected  bigint NOT NULL DEFAULT 0 CHECK (lines_rejected >= 0),
  error           text,
  submitted_at    timestamptz NOT NULL,
  finished_at     timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS jobs_submitted_idx ON switchyard.jobs (submitted_at DESC);
CREATE INDEX IF NOT EXISTS jobs_tenant_submitted_idx ON switchyard.jobs (tenant, submitted_at DESC);

-- job_bad_lines: lines refused at submission (unparseable or invalid), by line number. The
-- submitter keeps a bounded number per job (the first ones in file order), so a file of
-- garbage cannot fill the database; jobs.lines_rejected has the full count.
CREATE TABLE IF NOT EXISTS switchyard.job_bad_lines (
  job_id   text NOT NULL REFERENCES switchyard.jobs (job_id) ON DELETE CASCADE,
  line_no  bigint NOT NULL CHECK (line_no >= 0),
  error    text NOT NULL,
  PRIMARY KEY (job_id, line_no)
);
