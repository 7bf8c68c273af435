-- input: bad input is refused with a SQLSTATE before anything is sent, and
-- nothing is written: not a PDF, empty, over the limit, too many documents,
-- bad ids, bad phone numbers, unknown workflows and NULLs.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
SELECT workflow_id AS wf FROM qes_create_workflow('input-client') \gset
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl clear-requests
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM qes_workflow) AS workflows,
       (SELECT count(*) FROM qes_document) AS documents,
       (SELECT count(*) FROM qes_status_history) AS history,
       (SELECT string_agg(w::text, ',' ORDER BY w.id) FROM qes_workflow w) AS rows;
\set ON_ERROR_STOP 0

-- documents
SELECT qes_upload_documents(:'wf', ARRAY['a'], ARRAY['hello'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a'], ARRAY[''::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a'],
       ARRAY['%PDF-'::bytea || decode(repeat('00', 25 * 1024 * 1024), 'hex')]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf',
       ARRAY(SELECT 'd' || i FROM generate_series(1, 11) i),
       ARRAY(SELECT '%PDF-1.4'::bytea FROM generate_series(1, 11) i));
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY[]::text[], ARRAY[]::bytea[]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a', 'b'], ARRAY['%PDF-1.4'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a', 'a'], ARRAY['%PDF-1.4'::bytea, '%PDF-1.4']);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['../status'], ARRAY['%PDF-1.4'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a/b'], ARRAY['%PDF-1.4'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a?x=1'], ARRAY['%PDF-1.4'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY[repeat('x', 65)], ARRAY['%PDF-1.4'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a'], ARRAY['%PDF-1.4'::bytea], ARRAY[E'x\r\nX-Evil: 1.pdf']);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY[NULL], ARRAY['%PDF-1.4'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a'], ARRAY[NULL::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', NULL, ARRAY['%PDF-1.4'::bytea]);
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY[['a', 'b']], ARRAY[['%PDF-1.4'::bytea, '%PDF-1.4']]);
\echo SQLSTATE :SQLSTATE

-- mobile numbers: the messages never repeat the number
SELECT qes_upload_mobile_number(:'wf', '0612345678');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', '+31 6 1234');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', '+31 6 1234 5678 9012 3');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', '+31 6 CALL ME');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', '+0 612345678');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', '+31 6+1234 5678');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', E'+31 6\n1234 5678');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', '');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_mobile_number(:'wf', NULL);
\echo SQLSTATE :SQLSTATE

-- ids
SELECT * FROM qes_status('not-a-uuid');
\echo SQLSTATE :SQLSTATE
SELECT * FROM qes_status('00000000-0000-0000-0000-000000000000');
\echo SQLSTATE :SQLSTATE
SELECT * FROM qes_status(NULL);
\echo SQLSTATE :SQLSTATE
SELECT qes_fetch_signed(:'wf', '../../oauth2/token');
\echo SQLSTATE :SQLSTATE
SELECT qes_fetch_signed(:'wf', 'nosuchdocument');
\echo SQLSTATE :SQLSTATE
SELECT qes_fetch_signed(:'wf', NULL);
\echo SQLSTATE :SQLSTATE
SELECT qes_create_sdk_session('00000000-0000-0000-0000-000000000000');
\echo SQLSTATE :SQLSTATE
SELECT qes_fetch_contract(NULL);
\echo SQLSTATE :SQLSTATE
SELECT qes_api_signed_document(:'wf', 'a%2F..');
\echo SQLSTATE :SQLSTATE
SELECT qes_api_signed_document(:'wf', '');
\echo SQLSTATE :SQLSTATE

-- client references and workflow names
SELECT qes_create_workflow(NULL);
\echo SQLSTATE :SQLSTATE
SELECT qes_create_workflow('');
\echo SQLSTATE :SQLSTATE
SELECT qes_create_workflow(repeat('x', 256));
\echo SQLSTATE :SQLSTATE
SELECT qes_create_workflow(E'bad\nreference');
\echo SQLSTATE :SQLSTATE
SELECT qes_create_workflow('ok', E'qes\r\n');
\echo SQLSTATE :SQLSTATE
SELECT qes_create_workflow(convert_from('\xc3'::bytea, 'SQL_ASCII'));
\echo SQLSTATE :SQLSTATE
SELECT qes_create_workflow(E'a\u0085b');
\echo SQLSTATE :SQLSTATE
SELECT qes_upload_documents(:'wf', ARRAY['a'], ARRAY['%PDF-1.4'::bytea], ARRAY[E'invoice\u202Efdp.exe']);
\echo SQLSTATE :SQLSTATE

-- webhooks whose body is not the contract's
SELECT qes_webhook(:'wf', '[]');
\echo SQLSTATE :SQLSTATE
SELECT qes_webhook(:'wf', '{"status": "signed"}');
\echo SQLSTATE :SQLSTATE
SELECT qes_webhook(:'wf', jsonb_build_object('signatureId', gen_random_uuid(), 'status', 'signed'));
\echo SQLSTATE :SQLSTATE
SELECT qes_webhook(:'wf', jsonb_build_object('signatureId', :'wf', 'status', 7));
\echo SQLSTATE :SQLSTATE
SELECT qes_webhook(:'wf', jsonb_build_object('signatureId', :'wf', 'status', 'signed', 'statusCode', 9999));
\echo SQLSTATE :SQLSTATE
SELECT qes_webhook(:'wf', jsonb_build_object('signatureId', :'wf', 'status', 'signed', 'statusCode', 1.5));
\echo SQLSTATE :SQLSTATE
SELECT qes_webhook(:'wf', jsonb_build_object('signatureId', :'wf', 'status', 'signed', 'errors', 'none'));
\echo SQLSTATE :SQLSTATE
SELECT qes_webhook(:'wf', NULL);
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
-- the text \u0000 in a webhook's errors is text, not a NUL
SELECT qes_check_webhook(:'wf', jsonb_build_object('signatureId', upper(:'wf'),
                         'status', 'signed', 'errors', jsonb_build_array('\u0000')));

-- nothing was sent and nothing was written
\! "$QES_TOP"/test/simctl requests --count
SELECT (SELECT count(*) FROM qes_workflow) = workflows AS same_workflows,
       (SELECT count(*) FROM qes_document) = documents AS same_documents,
       (SELECT count(*) FROM qes_status_history) = history AS same_history,
       (SELECT string_agg(w::text, ',' ORDER BY w.id) FROM qes_workflow w) = rows AS same_rows,
       (SELECT count(*) FROM qes_webhook) AS webhooks
  FROM before;

-- what people type is accepted
SELECT n, qes_normalize_mobile_number(n)
  FROM unnest(ARRAY['+31612345678', '+31 6 12345678', '0031 6 1234 5678',
                    '+31-6-1234-5678', '+31.6.12.34.56.78', '(+31) 612 345 678',
                    '+44 (0)7700 900123', E'+49\u00a0151\u00a012345678',
                    E'+49\u202f151 1234 5678', '+1 (415) 555-0123']) n;
-- the trunk "(0)" is dropped once, right after the country code; anywhere
-- else its 0 is a digit like any other
\set ON_ERROR_STOP 0
SELECT qes_normalize_mobile_number('+31 6 1234 (0)567');
\echo SQLSTATE :SQLSTATE
SELECT qes_normalize_mobile_number('+1 (0)(0)(0)2345678');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1
-- masking touches ASCII digits only
SELECT qes_mask_mobile_number('+31612345678'), qes_mask_mobile_number('a€bcdefgh'),
       qes_mask_mobile_number('+44 7700 900123');
