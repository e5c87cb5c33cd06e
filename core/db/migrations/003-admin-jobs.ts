/**
 * Administration: API tokens (hashed at rest), and what an import job reports while it runs
 * (phase, files, bytes and features done, a heartbeat) so that the admin API and the CLI can
 * show progress and tell a job whose process died from one that is still running.
 */
export const sql = /* sql */ `
CREATE TABLE meta.api_tokens (
  -- Public part of the token (pm_<id>_<secret>): tokens are looked up by id, never by secret.
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- SHA-256 of the secret part; the secret itself is shown once and never stored.
  secret_sha256 bytea NOT NULL CHECK (octet_length(secret_sha256) = 32),
  role          text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  -- Counties (six-digit codes) whose datasets an editor may import and roll back.
  county_codes  text[] NOT NULL DEFAULT '{}' CHECK (array_position(county_codes, NULL) IS NULL),
  -- Restricted tilesets the token may read (access control decides which ones are restricted).
  tilesets      text[] NOT NULL DEFAULT '{}' CHECK (array_position(tilesets, NULL) IS NULL),
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz,
  CHECK (role = 'editor' OR county_codes = '{}'),
  CHECK (expires_at IS NULL OR expires_at > created_at)
);

ALTER TABLE meta.import_jobs
  -- The last phase reached: read, prepare, qa, publish (kept after the end, to show where a run failed).
  ADD COLUMN phase        text CHECK (phase IN ('read', 'prepare', 'qa', 'publish')),
  ADD COLUMN files_total  integer CHECK (files_total >= 0),
  ADD COLUMN files_done   integer NOT NULL DEFAULT 0 CHECK (files_done >= 0),
  ADD COLUMN bytes_total  bigint CHECK (bytes_total >= 0),
  ADD COLUMN bytes_done   bigint NOT NULL DEFAULT 0 CHECK (bytes_done >= 0),
  ADD COLUMN features_done bigint NOT NULL DEFAULT 0 CHECK (features_done >= 0),
  -- Written every few seconds by the process running the job; a stale one means it died.
  ADD COLUMN heartbeat_at timestamptz,
  -- host:pid of the process running the job, for operators.
  ADD COLUMN runner       text,
  ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();

-- updated_at follows every change, whoever makes it (the import itself, the job runner, a reader
-- marking an abandoned job).
CREATE FUNCTION meta.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER import_jobs_touch_updated_at BEFORE UPDATE ON meta.import_jobs
  FOR EACH ROW EXECUTE FUNCTION meta.touch_updated_at();

-- Unfinished jobs are looked up on every start and every read (abandoned-job detection).
CREATE INDEX import_jobs_unfinished_idx ON meta.import_jobs (dataset_id) WHERE status IN ('queued', 'running');
CREATE INDEX import_jobs_created_idx ON meta.import_jobs (created_at DESC, id DESC);
`;
