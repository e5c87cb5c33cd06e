/**
 * Publishing as one SQL function, so that every caller (pipeline CLI, server, tests) switches
 * the live version the same way, in the caller's transaction: the view live.<dataset> is
 * pointed at the version's table, statuses and datasets.live_version follow, and tile servers
 * are told through NOTIFY (delivered only if the transaction commits).
 */
export const sql = /* sql */ `
CREATE FUNCTION meta.publish_version(p_dataset text, p_version integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_table text;
BEGIN
  -- Serialises concurrent publishes of one dataset.
  PERFORM 1 FROM meta.datasets WHERE id = p_dataset FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown dataset "%"', p_dataset USING ERRCODE = 'no_data_found';
  END IF;
  SELECT table_name INTO v_table FROM meta.dataset_versions
    WHERE dataset_id = p_dataset AND version = p_version;
  IF v_table IS NULL THEN
    RAISE EXCEPTION 'dataset "%" has no version %', p_dataset, p_version USING ERRCODE = 'no_data_found';
  END IF;
  EXECUTE format('DROP VIEW IF EXISTS live.%I', p_dataset);
  EXECUTE format('CREATE VIEW live.%I AS SELECT * FROM data.%I', p_dataset, v_table);
  UPDATE meta.dataset_versions SET status = 'retired'
    WHERE dataset_id = p_dataset AND status = 'live' AND version <> p_version;
  UPDATE meta.dataset_versions SET status = 'live', published_at = now()
    WHERE dataset_id = p_dataset AND version = p_version;
  UPDATE meta.datasets SET live_version = p_version, updated_at = now() WHERE id = p_dataset;
  PERFORM pg_notify('planmap_publish', json_build_object('dataset', p_dataset, 'version', p_version)::text);
END $$;
`;
