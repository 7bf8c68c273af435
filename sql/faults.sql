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
-- broken answers; a list of types is not a JSON type
\! "$QES_TOP"/test/simctl fault E6 status=200 'content_type=application/json, text/html' 'body={"status": "pending"}'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
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
-- an error that echoes the client reference does not quote it, escaped or not
\! "$QES_TOP"/test/simctl fault E2 status=400 'body={"errors": [{"code": "invalid_partnerClientId", "message": "partnerClientId ACME-7 is already in use"}]}'
SELECT qes_create_workflow('ACME-7');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E2 status=400 'body={"errors": [{"code": "x", "message": "M\u00fcller \"7\" \ud83d\ude00/1 is unknown"}]}'
SELECT qes_create_workflow(E'M\u00fcller "7" \U0001F600/1');
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
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "pending", "errors": [{"c\u0000de": 1}]}'
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- (the text \u0000 is no NUL: an untracked read shows it)
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "pending", "errors": ["\\u0000"]}'
SELECT errors FROM qes_api_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- numbers in errors are kept as they came when jsonb can take them so
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "pending", "errors": [0.1, 2.5e-3, -0, 1.0, 00.5]}'
SELECT errors FROM qes_api_status(:'wf');
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

-- in a LATIN1 database the errors' text arrives in LATIN1; a character
-- LATIN1 cannot hold makes the answer unusable rather than garbled
\set db :DBNAME
CREATE DATABASE qes_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
\c qes_latin1
\set SHOW_CONTEXT never
CREATE EXTENSION qes;
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "error", "errors": ["caf\u00e9"]}'
SELECT errors->>0 = E'caf\u00e9' AS intact FROM qes_api_status(:'wf');
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "error", "errors": ["5 \u20ac"]}'
\set ON_ERROR_STOP 0
SELECT errors FROM qes_api_status(:'wf');
\echo SQLSTATE :SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 status=200 'body={"status": "error", "errors": ["5 \u20ac"]}'
SELECT status, error_sqlstate, error_detail FROM qes_api_status_many(ARRAY[:'wf'::uuid], 1);
\set ON_ERROR_STOP 1
\c :db
DROP DATABASE qes_latin1;
