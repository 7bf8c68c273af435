-- kyc_required: a client whose identity verification Fourthline does not
-- accept gets kyc_required, which is final; the remedy is a new workflow
-- with identity verification (idv_qes) for the same client.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
\! "$QES_TOP"/test/simctl eligible kyc-client false
SELECT workflow_id AS wf, client_id AS cid FROM qes_create_workflow('kyc-client') \gset
SELECT status, status_code IS NOT NULL AS has_status_code FROM qes_status(:'wf');
SELECT status, final FROM qes_workflow WHERE workflow_id = :'wf';
-- uploads are refused by Fourthline now; the error says so and nothing is stored
\set ON_ERROR_STOP 0
SELECT qes_upload_documents(:'wf', ARRAY['a'], ARRAY['%PDF-1.4 test'::bytea]);
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
SELECT count(*) AS documents FROM qes_document d JOIN qes_workflow w ON w.id = d.workflow
 WHERE w.workflow_id = :'wf';
-- a new workflow with identity verification, for the same client
SELECT workflow_id AS wf2, client_id = :'cid' AS same_client, workflow_name
  FROM qes_create_workflow('kyc-client', 'idv_qes') \gset
SELECT :'same_client' AS same_client, :'workflow_name' AS workflow_name;
SELECT status FROM qes_status(:'wf2');
SELECT w.workflow_name, h.old_status, h.status
  FROM qes_status_history h JOIN qes_workflow w ON w.id = h.workflow
 WHERE w.partner_client_id = 'kyc-client'
 ORDER BY h.id;
-- an unknown workflow name is Fourthline's to refuse
\set ON_ERROR_STOP 0
SELECT qes_create_workflow('kyc-client', 'no_such_flow');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
SELECT count(*) AS workflows FROM qes_workflow WHERE partner_client_id = 'kyc-client';
