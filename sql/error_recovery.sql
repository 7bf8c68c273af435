-- error_recovery: "error" is not final.  A recoverable error returns to the
-- status before it; an unrecoverable one stays "error", still not final,
-- and the signed documents cannot be had.  Unknown statuses are stored as
-- they come and are not final either.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 2 --out "$QES_SIM_DIR"/err.pdf
\getenv simdir QES_SIM_DIR
SELECT workflow_id AS wf FROM qes_create_workflow('error-client') \gset
\setenv WF :wf
SELECT status FROM qes_status(:'wf');
SELECT count(*) FROM qes_upload_documents(:'wf', ARRAY['doc'],
       ARRAY[pg_read_binary_file(:'simdir' || '/err.pdf')]);
SELECT qes_upload_mobile_number(:'wf', '+49 151 2345 6789');
SELECT length(qes_create_sdk_session(:'wf'));
\! "$QES_TOP"/test/simctl signer "$WF" start

-- a recoverable error
\! "$QES_TOP"/test/simctl error "$WF" 3000 recoverable
SELECT status, status_code, jsonb_typeof(errors) AS errors FROM qes_status(:'wf');
SELECT final FROM qes_workflow WHERE workflow_id = :'wf';
\! "$QES_TOP"/test/simctl recover "$WF"
SELECT status, status_code FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl signer "$WF" done
SELECT status FROM qes_status(:'wf');
SELECT length(qes_fetch_signed(:'wf', 'doc')) > 0 AS downloaded;

-- an unrecoverable error
SELECT workflow_id AS wf2 FROM qes_create_workflow('error-client-2') \gset
\setenv WF2 :wf2
SELECT status FROM qes_status(:'wf2');
SELECT count(*) FROM qes_upload_documents(:'wf2', ARRAY['doc'],
       ARRAY[pg_read_binary_file(:'simdir' || '/err.pdf')]);
\! "$QES_TOP"/test/simctl error "$WF2" 4010 final
SELECT status, status_code FROM qes_status(:'wf2');
SELECT final FROM qes_workflow WHERE workflow_id = :'wf2';
\set ON_ERROR_STOP 0
SELECT qes_fetch_signed(:'wf2', 'doc');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
SELECT signed IS NULL AS nothing_stored FROM qes_document d
  JOIN qes_workflow w ON w.id = d.workflow WHERE w.workflow_id = :'wf2';

-- a status the contract does not list is stored as it came, not final
\! "$QES_TOP"/test/simctl force-status "$WF2" video_call_required 1234
SELECT status, status_code FROM qes_status(:'wf2');
SELECT status, status_code, final FROM qes_workflow WHERE workflow_id = :'wf2';

SELECT w.partner_client_id, h.old_status, h.status, h.status_code
  FROM qes_status_history h JOIN qes_workflow w ON w.id = h.workflow
 WHERE w.partner_client_id LIKE 'error-client%'
 ORDER BY h.id;
