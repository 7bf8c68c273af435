-- cancel: statement_timeout and a query cancel interrupt a transfer that
-- waits on a slow answer within a fraction of a second, raise PostgreSQL's
-- own error (57014) and leave no partial rows.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT workflow_id AS wf FROM qes_create_workflow('cancel-client') \gset
SELECT status FROM qes_status(:'wf');
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM qes_status_history) AS history,
       (SELECT w::text FROM qes_workflow w WHERE workflow_id = :'wf') AS row;

-- statement_timeout during a slow answer
\! "$QES_TOP"/test/simctl fault E6 delay_ms=5000
SET statement_timeout = '300ms';
\set ON_ERROR_STOP 0
SELECT clock_timestamp() AS t0 \gset
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '800 ms' AS within_a_fraction_of_a_second;

-- a query cancel from another session during a slow answer
\! "$QES_TOP"/test/simctl fault E6 delay_ms=5000
\! (sleep 0.5; psql -X -q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT status FROM qes_status(%' AND pid <> pg_backend_pid()" >/dev/null 2>&1) &
\set ON_ERROR_STOP 0
SELECT clock_timestamp() AS t0 \gset
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
SELECT clock_timestamp() - :'t0' < interval '2 s' AS cancelled_well_before_the_answer;

-- a cancelled upload leaves no document rows
\! "$QES_TOP"/test/simctl fault E3 delay_ms=5000
SET statement_timeout = '300ms';
\set ON_ERROR_STOP 0
SELECT qes_upload_documents(:'wf', ARRAY['a'], ARRAY['%PDF-1.4 cancel'::bytea]);
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
RESET statement_timeout;

-- nothing was written, and the next call works at once
SELECT (SELECT count(*) FROM qes_status_history) = history AS same_history,
       (SELECT w::text FROM qes_workflow w WHERE workflow_id = :'wf') = row AS same_row,
       (SELECT count(*) FROM qes_document d JOIN qes_workflow w ON w.id = d.workflow
         WHERE w.workflow_id = :'wf') AS documents
  FROM before;
\! "$QES_TOP"/test/simctl clear-faults
SELECT status FROM qes_status(:'wf');

-- qes.request_timeout bounds a call on its own, with its own SQLSTATE
\! "$QES_TOP"/test/simctl fault E6 delay_ms=3000
SET qes.request_timeout = '200ms';
\set ON_ERROR_STOP 0
SELECT status FROM qes_status(:'wf');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
RESET qes.request_timeout;
\! "$QES_TOP"/test/simctl clear-faults
