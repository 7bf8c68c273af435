-- queue: an application asks for signings by writing rows in its own
-- transaction; qes_sync does the talking.  A rollback sends nothing; a run
-- moves each workflow as far as the status allows, commits after each step,
-- retries failures with backoff and leaves unknown outcomes to an operator.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 2 --out "$QES_SIM_DIR"/queue.pdf
\getenv simdir QES_SIM_DIR
CREATE TEMP TABLE pdf AS SELECT pg_read_binary_file(:'simdir' || '/queue.pdf') AS bytes;
TRUNCATE qes_workflow CASCADE;

-- a rollback sends nothing, ever
BEGIN;
SELECT qes_request_signing('queue-rolled-back', ARRAY['doc'], ARRAY[(SELECT bytes FROM pdf)],
                           '+31 6 1234 5678') > 0 AS queued;
ROLLBACK;
CALL qes_sync();
\! "$QES_TOP"/test/simctl requests --count

-- bad input is refused when queued, not later
\set ON_ERROR_STOP 0
SELECT qes_request_signing('queue-bad', ARRAY['doc'], ARRAY['not a pdf'::bytea], '+31612345678');
\echo SQLSTATE :SQLSTATE
SELECT qes_request_signing('queue-bad', ARRAY['doc'], ARRAY[(SELECT bytes FROM pdf)], '0612345678');
\echo SQLSTATE :SQLSTATE
INSERT INTO qes_workflow (partner_client_id, workflow_name, mobile_number)
VALUES ('queue-bad', 'qes', '+31 6 12');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
SELECT count(*) AS queued FROM qes_workflow;

-- queue two signings: one by the function, one by plain INSERTs
SELECT qes_request_signing('queue-a', ARRAY['contract', 'annex'],
                           ARRAY[(SELECT bytes FROM pdf), (SELECT bytes FROM pdf)],
                           '+31 6 1234 5678') AS a \gset
WITH w AS (
  INSERT INTO qes_workflow (partner_client_id, workflow_name, mobile_number, sdk_session_wanted)
  VALUES ('queue-b', 'qes', '0049 151 2345 6789', true) RETURNING id)
INSERT INTO qes_document (workflow, document_id, file_name, original)
SELECT w.id, 'doc', 'doc.pdf', (SELECT bytes FROM pdf) FROM w;
SELECT partner_client_id, status, mobile_number, workflow_id IS NULL AS not_yet_created
  FROM qes_workflow ORDER BY id;
SELECT status, state, next_step FROM qes_queue ORDER BY id;

-- one run: create, upload, read, SDK session
CALL qes_sync();
SELECT partner_client_id, status, documents_uploaded_at IS NOT NULL AS documents,
       mobile_uploaded_at IS NOT NULL AS mobile, validation_code ~ '^[A-Z0-9]{8}$' AS validation_code
  FROM qes_workflow ORDER BY id;
\! "$QES_TOP"/test/simctl workflows | python3 -c 'import json,sys; [print(w["partnerClientId"], w["status"]) for w in map(json.loads, sys.stdin)]'

-- the signers sign; the next run reads signed and downloads
\! for wf in $("$QES_TOP"/test/simctl workflows | python3 -c 'import json,sys; [print(json.loads(l)["workflowId"]) for l in sys.stdin]'); do "$QES_TOP"/test/simctl signer "$wf" done; done
CALL qes_sync();
SELECT w.partner_client_id, w.status, d.document_id, d.signed_extends_original,
       w.contract_checked_at IS NOT NULL AS contract_checked
  FROM qes_workflow w JOIN qes_document d ON d.workflow = w.id ORDER BY 1, 3;
CALL qes_sync();
SELECT count(*) AS queue FROM qes_queue;
SELECT h.status, h.source FROM qes_status_history h WHERE h.workflow = :a ORDER BY h.id;

-- failures are retried with backoff and end well; "time passes" below is
-- the test moving next_attempt_at instead of sleeping
SET qes.sync_retry_base = '5s';
SET qes.sync_retry_max = '10s';
SET qes.request_timeout = '500ms';
\! "$QES_TOP"/test/simctl fault E2 status=503 times=1
\! "$QES_TOP"/test/simctl fault E3 delay_ms=3000 times=1
SELECT qes_request_signing('queue-retry', ARRAY['doc'], ARRAY[(SELECT bytes FROM pdf)], '+31612345678') AS r \gset
CALL qes_sync();
SELECT attempts, last_error_sqlstate,
       next_attempt_at BETWEEN now() + interval '2 s' AND now() + interval '5 s' AS backing_off,
       workflow_id IS NULL AS not_created
  FROM qes_workflow WHERE id = :r;
UPDATE qes_workflow SET next_attempt_at = now(), next_read_at = now() WHERE id = :r;
CALL qes_sync();
SELECT attempts, last_error_sqlstate, status, workflow_id IS NOT NULL AS created,
       documents_uploaded_at IS NULL AS documents_pending,
       next_attempt_at BETWEEN now() + interval '1 s' AND now() + interval '10 s' AS backing_off_more
  FROM qes_workflow WHERE id = :r;
UPDATE qes_workflow SET next_attempt_at = now(), next_read_at = now() WHERE id = :r;
\! "$QES_TOP"/test/simctl fault E6 status=429 retry_after=30 times=1
CALL qes_sync();
SELECT status, read_attempts, last_error_sqlstate,
       next_read_at > now() + interval '20 s' AS honours_retry_after
  FROM qes_workflow WHERE id = :r;
UPDATE qes_workflow SET next_attempt_at = now(), next_read_at = now() WHERE id = :r;
CALL qes_sync();
SELECT status, attempts, read_attempts, documents_uploaded_at IS NOT NULL AS documents,
       mobile_uploaded_at IS NOT NULL AS mobile, validation_code IS NOT NULL AS session
  FROM qes_workflow WHERE id = :r;
RESET qes.request_timeout;
SELECT step, sqlstate, api_code FROM qes_sync_error ORDER BY id;

-- an unknown outcome is left to an operator, and never repeated blindly
\! "$QES_TOP"/test/simctl fault E2 drop=true process=true times=1
SELECT qes_request_signing('queue-unknown', ARRAY['doc'], ARRAY[(SELECT bytes FROM pdf)], '+31612345678') AS u \gset
CALL qes_sync();
CALL qes_sync();
SELECT state, next_step, needs_operator FROM qes_queue WHERE id = :u;
\! "$QES_TOP"/test/simctl workflows | grep -c queue-unknown
\set found `"$QES_TOP"/test/simctl state partner:queue-unknown workflowId`
SELECT status, workflow_id = :'found' AS attached FROM qes_resolve(:u, 'done', :'found');
CALL qes_sync();
SELECT status, documents_uploaded_at IS NOT NULL AS documents FROM qes_workflow WHERE id = :u;
\! "$QES_TOP"/test/simctl workflows | grep -c queue-unknown

-- webhooks can leave the read to the sync, which reads those first; one
-- delivered twice and one out of order change nothing by themselves
SELECT workflow_id AS wu FROM qes_workflow WHERE id = :u \gset
SELECT qes_webhook(:'wu', jsonb_build_object('signatureId', :'wu', 'status', 'signed'), read_now => false);
SELECT qes_webhook(:'wu', jsonb_build_object('signatureId', :'wu', 'status', 'signed'), read_now => false);
SELECT qes_webhook(:'wu', jsonb_build_object('signatureId', :'wu', 'status', 'new'), read_now => false);
SELECT status, read_requested_at IS NOT NULL AS read_requested FROM qes_workflow WHERE id = :u;
CALL qes_sync();
SELECT status, read_requested_at IS NULL AS read_done, status_source FROM qes_workflow WHERE id = :u;
SELECT count(*) AS notifications FROM qes_webhook w JOIN qes_workflow t ON t.id = w.workflow WHERE t.id = :u;

-- the views answer at a glance
SELECT status, workflows FROM qes_workflows_by_status;
SELECT signed FROM qes_signing_times;
SELECT kind, code, failures FROM qes_failures;
SELECT count(*) AS stuck FROM qes_stuck;
SET qes.stuck_after = '1min';
UPDATE qes_workflow SET status_changed_at = now() - interval '2 hours' WHERE id = :u;
SELECT partner_client_id, status FROM qes_stuck;
RESET qes.stuck_after;
SELECT started_at <= finished_at AS finished, read >= 0 AS counted FROM qes_sync_run ORDER BY id DESC LIMIT 1;

-- retention: bytes and numbers of finished workflows go, hashes and history stay
UPDATE qes_workflow SET status_changed_at = now() - interval '100 days' WHERE id = :a;
SELECT * FROM qes_purge(retention_days => 90, history_days => 0);
SELECT d.original IS NULL AS original_gone, d.signed IS NULL AS signed_gone,
       d.original_sha256 IS NOT NULL AND d.signed_sha256 IS NOT NULL AS hashes_kept,
       w.mobile_number IS NULL AS number_gone
  FROM qes_document d JOIN qes_workflow w ON w.id = d.workflow WHERE w.id = :a ORDER BY d.document_id;
SELECT count(*) > 0 AS history_kept FROM qes_status_history WHERE workflow = :a;
SELECT workflows_removed FROM qes_purge(retention_days => 0, history_days => 30);
SELECT count(*) AS left_of_a FROM qes_workflow WHERE id = :a;
