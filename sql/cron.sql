-- cron: with pg_cron preloaded, one scheduled line runs qes_sync every
-- minute, and a queued signing reaches signed with its documents downloaded
-- with no call made by hand but the signer's steps in the simulator.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 3 --out "$QES_SIM_DIR"/cron.pdf
\getenv simdir QES_SIM_DIR
\set db :DBNAME
\c postgres
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT cron.schedule_in_database('qes-sync', '* * * * *', 'CALL qes_sync()', :'db') > 0 AS scheduled;
\c :db

-- the application queues a signing in its own transaction
BEGIN;
SELECT qes_request_signing('cron-client', ARRAY['agreement'],
                           ARRAY[pg_read_binary_file(:'simdir' || '/cron.pdf')],
                           '+31 6 1234 5678') AS id \gset
COMMIT;

-- pg_cron's runs create the workflow, upload, read and create the SDK session
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    EXIT WHEN EXISTS (SELECT FROM qes_workflow WHERE validation_code IS NOT NULL);
    PERFORM pg_sleep(0.5);
  END LOOP;
END $$;
SELECT status, validation_code ~ '^[A-Z0-9]{8}$' AS has_validation_code
  FROM qes_workflow WHERE id = :id;

-- the signer uses the validation code in the Web SDK (simulated)
SELECT workflow_id AS wf FROM qes_workflow WHERE id = :id \gset
\setenv WF :wf
\! "$QES_TOP"/test/simctl signer "$WF" done

-- a later run reads signed and downloads
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    EXIT WHEN EXISTS (SELECT FROM qes_document WHERE signed IS NOT NULL);
    PERFORM pg_sleep(0.5);
  END LOOP;
END $$;
SELECT w.status, d.signed_extends_original, w.contract_checked_at IS NOT NULL AS contract_checked
  FROM qes_workflow w JOIN qes_document d ON d.workflow = w.id WHERE w.id = :id;
SELECT source, status FROM qes_status_history WHERE workflow = :id ORDER BY id;
SELECT count(*) FILTER (WHERE finished_at IS NOT NULL) >= 2 AS finished_sync_runs
  FROM qes_sync_run;

\c postgres
SELECT count(*) >= 2 AS job_runs, bool_and(status = 'succeeded') AS all_succeeded
  FROM cron.job_run_details WHERE status <> 'running';
SELECT cron.unschedule('qes-sync');
\c :db
