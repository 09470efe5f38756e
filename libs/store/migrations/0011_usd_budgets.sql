-- Dollar budgets shared by every router instance (libs/store/src/usd-ledger.ts, with the pure
-- rules in routing-core's UsdLedger).
--
-- usd_budgets: one row per dollar scope ('job:<id>', 'tenant:<id>:<UTC day>', ...). Money is
-- integer nano-dollars so sums are exact. committed_nano = outstanding reservations + settled
-- true costs and never passes limit_nano (only a reservation raises it, under this row's lock);
-- spent_nano = settled true costs. Both are running sums of usd_reservations, moved in the
-- same transaction as the rows they sum.
CREATE TABLE IF NOT EXISTS switchyard.usd_budgets (
  scope           text PRIMARY KEY,
  limit_nano      bigint NOT NULL CHECK (limit_nano >= 0),
  committed_nano  bigint NOT NULL DEFAULT 0 CHECK (committed_nano >= 0),
  spent_nano      bigint NOT NULL DEFAULT 0 CHECK (spent_nano >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- usd_reservations: one row per (scope, request). `reserved` holds the request's worst case
-- until its outcome settles it to the true cost (`settled`, amount_nano = true cost,
-- reserved_nano keeps the worst case). holder is the decision attempt that reserved: only it
-- may release a reservation, so a fenced instance cannot drop a newer decision's hold.
CREATE TABLE IF NOT EXISTS switchyard.usd_reservations (
  scope          text NOT NULL REFERENCES switchyard.usd_budgets (scope) ON DELETE CASCADE,
  request_id     text NOT NULL,
  holder         text NOT NULL,
  state          text NOT NULL CHECK (state IN ('reserved', 'settled')),
  amount_nano    bigint NOT NULL CHECK (amount_nano >= 0),
  reserved_nano  bigint NOT NULL CHECK (reserved_nano >= 0),
  reserved_at    timestamptz NOT NULL DEFAULT now(),
  settled_at     timestamptz,
  PRIMARY KEY (scope, request_id)
);

CREATE INDEX IF NOT EXISTS usd_reservations_request_idx ON switchyard.usd_reservations (request_id);
CREATE INDEX IF NOT EXISTS usd_reservations_settled_idx ON switchyard.usd_reservations (scope, settled_at) WHERE state = 'settled';

-- A job's own dollar budget and deadline, given at submission (`switchyard submit --budget-usd
-- --deadline`); null when the job has none.
ALTER TABLE switchyard.jobs
  ADD COLUMN IF NOT EXISTS budget_usd double precision CHECK (budget_usd IS NULL OR budget_usd > 0),
  ADD COLUMN IF NOT EXISTS deadline_at timestamptz;

-- For analysts: each dollar scope's limit, reserved, spent and use.
CREATE OR REPLACE VIEW switchyard.usd_budget_use AS
SELECT
  scope,
  limit_nano / 1e9 AS limit_usd,
  (committed_nano - spent_nano) / 1e9 AS reserved_usd,
  spent_nano / 1e9 AS spent_usd,
  CASE WHEN limit_nano > 0 THEN spent_nano::float8 / limit_nano END AS spent_fraction,
  updated_at
FROM switchyard.usd_budgets;
