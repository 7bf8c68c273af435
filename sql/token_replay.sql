-- token_replay: the access token is bought once and reused; a token that
-- expires or is revoked mid-flow gets 401, and the call is replayed once
-- with one new token, never more.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT workflow_id AS wf FROM qes_create_workflow('token-client') \gset
\! "$QES_TOP"/test/simctl clear-requests
-- reuse: five calls, no new token, one connection
SELECT count(*) FROM generate_series(1, 5) i,
       LATERAL qes_status(CASE WHEN i > 0 THEN :'wf'::uuid END);
\! "$QES_TOP"/test/simctl requests --endpoint E1 --count
\! "$QES_TOP"/test/simctl requests --endpoint E6 --count
-- over one kept-alive connection
\! "$QES_TOP"/test/simctl requests --connections

-- revoked mid-flow: the call gets 401, one new token, one replay
\! "$QES_TOP"/test/simctl clear-requests
\! "$QES_TOP"/test/simctl revoke-tokens
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl requests
-- and the new token serves the next calls
\! "$QES_TOP"/test/simctl clear-requests
SELECT count(*) FROM generate_series(1, 3) i,
       LATERAL qes_status(CASE WHEN i > 0 THEN :'wf'::uuid END);
\! "$QES_TOP"/test/simctl requests --endpoint E1 --count

-- a 401 that persists: one replay only, then an error
\! "$QES_TOP"/test/simctl clear-requests
\! "$QES_TOP"/test/simctl fault E6 status=401 times=5
\set ON_ERROR_STOP 0
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
\! "$QES_TOP"/test/simctl requests
\! "$QES_TOP"/test/simctl clear-faults

-- short-lived tokens are renewed before they expire, without a 401
\! "$QES_TOP"/test/simctl config token_ttl=1
\! "$QES_TOP"/test/simctl revoke-tokens
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl clear-requests
SELECT pg_sleep(1.2);
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl requests
\! "$QES_TOP"/test/simctl config token_ttl=3600

-- wrong credentials: a clear error, and the secret is not in it
SET qes.client_secret = 'wrong-secret';
\set ON_ERROR_STOP 0
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
RESET qes.client_secret;
SELECT status FROM qes_status(:'wf');
