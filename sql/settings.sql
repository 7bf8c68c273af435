-- settings: the settings that decide where requests go and which
-- credentials they carry are for superusers; the client secret is shown to
-- no one else by any route; a changed setting takes effect on the next call.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT name, setting, context FROM pg_settings WHERE name LIKE 'qes.%'
   AND name NOT IN ('qes.base_url', 'qes.ca_file', 'qes.trust_file') ORDER BY name;
SELECT name, context FROM pg_settings WHERE name IN ('qes.base_url', 'qes.ca_file', 'qes.trust_file') ORDER BY name;
SHOW qes.client_secret;
CREATE ROLE qes_settings_app LOGIN;
CREATE ROLE qes_settings_reader LOGIN IN ROLE pg_read_all_settings;
SET ROLE qes_settings_app;
\set ON_ERROR_STOP 0
SHOW qes.client_secret;
\echo SQLSTATE :SQLSTATE
SELECT current_setting('qes.client_secret');
\echo SQLSTATE :SQLSTATE
SELECT count(*) AS visible_in_pg_settings FROM pg_settings WHERE name = 'qes.client_secret';
SET qes.client_secret = 'stolen';
\echo SQLSTATE :SQLSTATE
SET qes.base_url = 'https://evil.example';
\echo SQLSTATE :SQLSTATE
SET qes.ca_file = '/tmp/mine.pem';
\echo SQLSTATE :SQLSTATE
SET qes.allow_http = on;
\echo SQLSTATE :SQLSTATE
SET qes.request_timeout = '5s';
RESET qes.request_timeout;
-- and no function of the extension is executable without a grant
SELECT qes_status('00000000-0000-0000-0000-000000000000');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
-- with EXECUTE on a tracking function, and nothing else, a role can use it
GRANT EXECUTE ON FUNCTION qes_status(uuid) TO qes_settings_app;
SET ROLE qes_settings_app;
\set ON_ERROR_STOP 0
SELECT qes_status('00000000-0000-0000-0000-000000000000');
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM qes_workflow;
\echo SQLSTATE :SQLSTATE
SELECT qes_api_status('00000000-0000-0000-0000-000000000000');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
REVOKE EXECUTE ON FUNCTION qes_status(uuid) FROM qes_settings_app;
-- a member of pg_read_all_settings sees that a secret is set, not what it is
SET ROLE qes_settings_reader;
SHOW qes.client_secret;
SELECT setting FROM pg_settings WHERE name = 'qes.client_secret';
RESET ROLE;
DROP ROLE qes_settings_app;
DROP ROLE qes_settings_reader;
-- an unknown qes.* setting is refused
\set ON_ERROR_STOP 0
SET qes.no_such_setting = 1;
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1

-- the default workflow name is used when none is given, read at each call
SET qes.workflow_name = 'idv_qes';
SELECT workflow_name FROM qes_create_workflow('settings-client');
\! "$QES_TOP"/test/simctl state partner:settings-client workflowName
RESET qes.workflow_name;
SELECT workflow_name FROM qes_create_workflow('settings-client');
-- a changed client id takes effect on the next call: it buys a new token
SELECT workflow_id AS wf FROM qes_create_workflow('settings-client') \gset
\! "$QES_TOP"/test/simctl clear-requests
SET qes.client_id = 'someone-else';
\set ON_ERROR_STOP 0
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
RESET qes.client_id;
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl requests
