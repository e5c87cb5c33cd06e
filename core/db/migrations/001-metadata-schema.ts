/**
 * The metadata schema: datasets, their versions, import jobs and the audit log.
 * Data tables live in `data`, the live view of each dataset in `live`.
 */
export const sql = /* sql */ `
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS data;
CREATE SCHEMA IF NOT EXISTS live;

CREATE TABLE meta.datasets (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{0,47}$'),
  kind          text NOT NULL,
  title         text NOT NULL,
  live_version  integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meta.import_jobs (
  id            bigserial PRIMARY KEY,
  dataset_id    text NOT NULL REFERENCES meta.datasets (id),
  status        text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  trigger       text NOT NULL CHECK (trigger IN ('cli', 'schedule', 'admin', 'startup', 'sample')),
  started_by    text NOT NULL,
  source        jsonb NOT NULL DEFAULT '{}',
  counts        jsonb NOT NULL DEFAULT '{}',
  qa_report     jsonb,
  timings       jsonb NOT NULL DEFAULT '{}',
  error         text,
  version       integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz
);
CREATE INDEX import_jobs_dataset_idx ON meta.import_jobs (dataset_id, created_at DESC);

CREATE TABLE meta.dataset_versions (
  dataset_id     text NOT NULL REFERENCES meta.datasets (id),
  version        integer NOT NULL CHECK (version > 0),
  table_name     text NOT NULL UNIQUE,
  status         text NOT NULL DEFAULT 'staged' CHECK (status IN ('staged', 'live', 'retired')),
  feature_count  bigint NOT NULL,
  -- [west, south, east, north] in EPSG:4490
  bounds         double precision[] CHECK (bounds IS NULL OR cardinality(bounds) = 4),
  import_job_id  bigint REFERENCES meta.import_jobs (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz,
  PRIMARY KEY (dataset_id, version)
);
-- At most one live version per dataset, whatever happens concurrently.
CREATE UNIQUE INDEX dataset_versions_one_live ON meta.dataset_versions (dataset_id) WHERE status = 'live';

ALTER TABLE meta.datasets
  ADD CONSTRAINT datasets_live_version_fk FOREIGN KEY (id, live_version)
  REFERENCES meta.dataset_versions (dataset_id, version);

CREATE TABLE meta.audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  action    text NOT NULL,
  target    text,
  address   text,
  outcome   text NOT NULL,
  details   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON meta.audit_log (at);

-- The audit trail is append-only: history cannot be rewritten through the application.
CREATE FUNCTION meta.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'meta.audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON meta.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION meta.refuse_audit_change();
`;
