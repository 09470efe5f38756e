-- The outcome rollups are updated with signed deltas: a replacing outcome subtracts the replaced
-- row (-1) and adds itself (+1). When the two land in different rollup rows (the replacement
-- completed on another UTC day, or on another model, or turned an error into a success), the
-- row proposed by INSERT ... ON CONFLICT carries a negative count, and PostgreSQL checks CHECK
-- constraints on the proposed row before it resolves the conflict: the recorder's transaction
-- failed although the row it updates would stay >= 0. The counts stay non-negative by
-- construction (a -1 is only ever applied to a row an earlier +1 created, in the same order of
-- events); test/outcomes/rollup-replacement.test.ts checks the rollups against the outcomes.
ALTER TABLE switchyard.outcome_stats
  DROP CONSTRAINT IF EXISTS outcome_stats_n_check,
  DROP CONSTRAINT IF EXISTS outcome_stats_n_errors_check,
  DROP CONSTRAINT IF EXISTS outcome_stats_n_reward_check,
  DROP CONSTRAINT IF EXISTS outcome_stats_n_cost_check;

ALTER TABLE switchyard.outcome_daily
  DROP CONSTRAINT IF EXISTS outcome_daily_n_check,
  DROP CONSTRAINT IF EXISTS outcome_daily_n_errors_check,
  DROP CONSTRAINT IF EXISTS outcome_daily_n_reward_check,
  DROP CONSTRAINT IF EXISTS outcome_daily_n_cost_check;
