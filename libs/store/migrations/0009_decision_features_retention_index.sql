-- The router's hourly retention pass clears decision embeddings older than its retention
-- (libs/store/src/feedback.ts clearOldDecisionFeatures); this partial index lets it find them
-- without scanning every decision, and shrinks as they are cleared.
CREATE INDEX IF NOT EXISTS decisions_features_decided_idx
  ON switchyard.decisions (decided_at) WHERE feature_embedding IS NOT NULL;
