-- Schema for every switchyard table, and the privileges of the two application roles.
-- The roles themselves are cluster-wide and are created by whoever provisions the database
-- (infra/stack does it locally), because CREATE ROLE needs more than schema ownership.
--   switchyard_writer   services: read and write rows, never change the schema
--   switchyard_analyst  people and dashboards: read only
-- ALTER DEFAULT PRIVILEGES below applies to objects created later by the role running the
-- migrations, so tables added by 0002+ get the same grants without each file repeating them.

CREATE SCHEMA IF NOT EXISTS switchyard;

REVOKE ALL ON SCHEMA switchyard FROM PUBLIC;
GRANT USAGE ON SCHEMA switchyard TO switchyard_writer, switchyard_analyst;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA switchyard TO switchyard_writer;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA switchyard TO switchyard_writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA switchyard TO switchyard_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA switchyard TO switchyard_analyst;

ALTER DEFAULT PRIVILEGES IN SCHEMA switchyard
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO switchyard_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA switchyard
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO switchyard_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA switchyard
  GRANT EXECUTE ON FUNCTIONS TO switchyard_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA switchyard
  GRANT SELECT ON TABLES TO switchyard_analyst;
