-- webhook: a notification is recorded, then the status is read from the
-- API, which decides; a duplicate or late notification changes nothing by
-- itself.  A failed read keeps the notification and warns.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT workflow_id AS wf FROM qes_create_workflow('hook-client') \gset
\setenv WF :wf
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 1 --out "$QES_SIM_DIR"/hook.pdf
\getenv simdir QES_SIM_DIR
-- Fourthline moves the workflow on by itself; the simulator recorded the
-- webhooks it would send: new, pending
\! "$QES_TOP"/test/simctl state "$WF" status >/dev/null
\! "$QES_TOP"/test/simctl webhooks "$WF" | python3 -c 'import json,sys; print([json.loads(l)["status"] for l in sys.stdin])'
\set hook_new `"$QES_TOP"/test/simctl webhooks "$WF" | sed -n 1p`
\set hook_pending `"$QES_TOP"/test/simctl webhooks "$WF" | sed -n 2p`
SELECT qes_webhook(:'wf', :'hook_pending');
SELECT status, status_source FROM qes_workflow WHERE workflow_id = :'wf';
-- the "new" notification arrives late: the status read says pending still
SELECT qes_webhook(:'wf', :'hook_new');
-- and the "pending" one again
SELECT qes_webhook(:'wf', :'hook_pending');
SELECT h.status, h.source FROM qes_status_history h
  JOIN qes_workflow w ON w.id = h.workflow WHERE w.workflow_id = :'wf' ORDER BY h.id;
SELECT body ->> 'status' AS notified, read_status, read_error IS NULL AS read_ok
  FROM qes_webhook ORDER BY id;

-- on to signed, with the notification as the trigger to read
SELECT count(*) FROM qes_upload_documents(:'wf', ARRAY['doc'],
       ARRAY[pg_read_binary_file(:'simdir' || '/hook.pdf')]);
SELECT qes_upload_mobile_number(:'wf', '+31612345678');
SELECT length(qes_create_sdk_session(:'wf'));
\! "$QES_TOP"/test/simctl signer "$WF" done
\set hook_signed `"$QES_TOP"/test/simctl webhooks "$WF" | tail -1`
SELECT qes_webhook(:'wf', :'hook_signed');
SELECT status, final FROM qes_workflow WHERE workflow_id = :'wf';

-- the API is down when a notification comes: it is kept, with the reason
\! "$QES_TOP"/test/simctl fault E6 status=503 times=1
SELECT qes_webhook(:'wf', :'hook_signed');
SELECT read_status, read_error FROM qes_webhook ORDER BY id DESC LIMIT 1;

-- a notification for a signature we do not track is kept for an operator
SELECT qes_webhook('11111111-2222-3333-4444-555555555555',
       '{"signatureId": "11111111-2222-3333-4444-555555555555", "status": "signed"}');
SELECT workflow IS NULL AS untracked, read_status FROM qes_webhook ORDER BY id DESC LIMIT 1;
