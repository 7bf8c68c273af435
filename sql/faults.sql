-- faults: each fault of the API or the network ends in a precise error
-- with its own SQLSTATE, and the tables keep saying what they said.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT workflow_id AS wf FROM qes_create_workflow('fault-client') \gset
SELECT status FROM qes_status(:'wf');
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM qes_status_history) AS history,
       (SELECT count(*) FROM qes_workflow) AS workflows,
       (SELECT w::text FROM qes_workflow w WHERE workflow_id = :'wf') AS row;
\set ON_ERROR_STOP 0
-- server faults, refusals and rate limits
\! "$QES_TOP"/test/simctl fault E6 status=500
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 status=403
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 status=404
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 status=429 retry_after=7
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 status=302 header.Location=https://elsewhere.example/
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- a proxy's HTML page: no error code, a cleaned excerpt
\! "$QES_TOP"/test/simctl fault E6 status=502 content_type=text/html 'body=<html><body><h1>502 Bad Gateway</h1>	call +31612345678</body></html>'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- broken answers
\! "$QES_TOP"/test/simctl fault E6 malformed=true
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 truncate=true
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- (twice: on a kept-alive connection libcurl itself tries a GET once more)
\! "$QES_TOP"/test/simctl fault E6 drop=true times=2
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl clear-faults
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"signatureId": "00000000-0000-0000-0000-000000000000", "status": "signed"}'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": 42}'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- the token endpoint fails: the call fails with it
\! "$QES_TOP"/test/simctl revoke-tokens
\! "$QES_TOP"/test/simctl fault E1 status=500
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E1 status=200 'body={"token_type": "Bearer"}'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- a create that fails leaves no row
\! "$QES_TOP"/test/simctl fault E2 status=500
SELECT qes_create_workflow('fault-client-2');
\echo SQLSTATE :SQLSTATE
-- an error that echoes the client reference does not quote it
\! "$QES_TOP"/test/simctl fault E2 status=400 'body={"errors": [{"code": "invalid_partnerClientId", "message": "partnerClientId ACME-7 is already in use"}]}'
SELECT qes_create_workflow('ACME-7');
\echo SQLSTATE :SQLSTATE
-- a create whose connection drops after Fourthline made the workflow is an
-- error, and is not sent again (a kept-alive connection is warm here)
SELECT (qes_api_status(:'wf')).status;
\! "$QES_TOP"/test/simctl clear-requests
\! "$QES_TOP"/test/simctl fault E2 drop=true process=true
SELECT qes_create_workflow('fault-client-3');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl requests --endpoint E2
-- a NUL character in the errors of a status answer
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "error", "errors": [{"code": "x\u0000y"}]}'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "pending\u0000signed"}'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- a signed document or contract that is not a PDF, or an empty contract
\! "$QES_TOP"/test/simctl fault E7 status=200 content_type=text/html 'body=%PDF-<html>'
SELECT qes_api_signed_document(:'wf', 'doc');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E8 status=200 content_type=application/pdf body=
SELECT qes_api_contract(:'wf');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
SELECT (SELECT count(*) FROM qes_status_history) = history AS same_history,
       (SELECT count(*) FROM qes_workflow) = workflows AS same_workflows,
       (SELECT w::text FROM qes_workflow w WHERE workflow_id = :'wf') = row AS same_row
  FROM before;
-- and the next call works
SELECT status FROM qes_status(:'wf');
