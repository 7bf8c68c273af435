-- search_path: objects are created and called schema-qualified, so a
-- hostile search_path, with same-named tables, types and functions in
-- another schema, changes nothing.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
CREATE SCHEMA evil;
CREATE TABLE evil.qes_workflow (id bigint, workflow_id uuid, status text);
CREATE TABLE evil.qes_document (workflow bigint, document_id text);
CREATE TABLE evil.qes_status_history (workflow bigint, status text);
CREATE FUNCTION evil.sha256(bytea) RETURNS bytea LANGUAGE sql AS $$ SELECT '\x00'::bytea $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION evil.pg_notify(text, text) RETURNS void LANGUAGE sql AS $$ SELECT NULL::void $$;
CREATE FUNCTION evil.qes_lock_workflow(uuid) RETURNS evil.qes_workflow LANGUAGE sql AS $$ SELECT NULL::evil.qes_workflow $$;
SET search_path = evil, public;

SELECT workflow_id AS wf FROM public.qes_create_workflow('path-client') \gset
SELECT status FROM public.qes_status(:'wf');
SELECT count(*) FROM public.qes_upload_documents(:'wf', ARRAY['d'], ARRAY['%PDF-1.4 path'::bytea]);
SELECT public.qes_request_signing('path-queued', ARRAY['d'], ARRAY['%PDF-1.4 q'::bytea], '+31612345678') > 0 AS queued;
CALL public.qes_sync() \g /dev/null

-- the extension's tables got everything, the same-named ones nothing
SELECT (SELECT count(*) FROM evil.qes_workflow) AS evil_workflows,
       (SELECT count(*) FROM evil.qes_document) AS evil_documents,
       (SELECT count(*) FROM evil.qes_status_history) AS evil_history;
SELECT partner_client_id, status, created_at > '2001-01-01' AS real_now
  FROM public.qes_workflow WHERE partner_client_id LIKE 'path-%' ORDER BY id;
SELECT w.partner_client_id, d.document_id,
       d.original_sha256 = pg_catalog.sha256(d.original) AS real_sha256
  FROM public.qes_document d JOIN public.qes_workflow w ON w.id = d.workflow
 WHERE w.partner_client_id LIKE 'path-%' ORDER BY 1;
SELECT count(*) > 0 AS history FROM public.qes_status_history h
  JOIN public.qes_workflow w ON w.id = h.workflow WHERE w.partner_client_id LIKE 'path-%';
RESET search_path;
DROP SCHEMA evil CASCADE;
