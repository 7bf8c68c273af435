-- tls: TLS is always verified.  A server whose certificate the configured
-- CA does not sign, an expired certificate and a wrong host name are each
-- refused with a clear error; plain HTTP needs a superuser's say-so.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT workflow_id AS wf FROM qes_create_workflow('tls-client') \gset
\getenv simdir QES_SIM_DIR
\set good_ca :simdir/ca.pem
\set other_ca :simdir/other-ca.pem
\set expired_url `"$QES_TOP"/test/simctl url expired`
\set wronghost_url `"$QES_TOP"/test/simctl url wronghost`
\set main_url `"$QES_TOP"/test/simctl url main`
\set ON_ERROR_STOP 0
-- a CA that did not sign the server's certificate
SET qes.ca_file = :'other_ca';
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
RESET qes.ca_file;
-- an expired certificate
SET qes.base_url = :'expired_url';
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- a certificate for another host name
SET qes.base_url = :'wronghost_url';
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
-- the system's CA bundle does not know the simulator's CA either
SET qes.base_url = :'main_url';
SET qes.ca_file = '';
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
RESET qes.ca_file;
-- plain HTTP is refused unless allowed
SET qes.base_url = 'http://127.0.0.1:9/';
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
SET qes.base_url = 'ftp://127.0.0.1/';
\echo SQLSTATE :SQLSTATE
-- nothing listens here
SET qes.base_url = 'https://127.0.0.1:9';
\set VERBOSITY terse
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\set VERBOSITY default
\set ON_ERROR_STOP 1
RESET qes.base_url;
-- and with the right settings it works at once
SELECT status FROM qes_status(:'wf');
SELECT count(*) AS history_rows FROM qes_status_history h
  JOIN qes_workflow w ON w.id = h.workflow WHERE w.workflow_id = :'wf';
