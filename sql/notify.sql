-- notify: every status change is announced on the channel qes_status with
-- the workflow id and the new status, so an application can wait without
-- polling.  A listener in another session collects the payloads.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT workflow_id AS wf FROM qes_create_workflow('notify-client') \gset
\setenv WF :wf
\setenv PGDATABASE :DBNAME
\! (psql -X -q -c 'LISTEN qes_status' -c 'SELECT pg_sleep(3)' > "$QES_SIM_DIR"/notify.out 2>&1 &) ; sleep 0.5
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl error "$WF" 3000 recoverable
SELECT status FROM qes_status(:'wf');
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl recover "$WF"
SELECT status FROM qes_status(:'wf');
-- one notification a change, none for a read that changed nothing
\! sleep 3; sed -n 's/.*payload "\(.*\)" received.*/\1/p' "$QES_SIM_DIR"/notify.out | sed "s/$WF/WF/"
