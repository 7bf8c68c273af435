-- full_flow: the whole signing of two documents, from the creation of the
-- workflow to the download of both signed PDFs, with the tables, the history
-- and what the simulator received agreeing at each step.
\set simctl '"$QES_TOP"/test/simctl'
\getenv simdir QES_SIM_DIR
\! "$QES_TOP"/test/simctl reset
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 3 --title contract --out "$QES_SIM_DIR"/flow-a.pdf
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 1 --title annex --out "$QES_SIM_DIR"/flow-b.pdf
CREATE TEMP TABLE pdf AS
SELECT 'contract' AS id, pg_read_binary_file(:'simdir' || '/flow-a.pdf') AS bytes
UNION ALL
SELECT 'annex', pg_read_binary_file(:'simdir' || '/flow-b.pdf');

-- create: the row carries Fourthline's ids and starts in "new"
SELECT workflow_id AS wf, client_id AS cid, status, final, workflow_name,
       partner_client_id
  FROM qes_create_workflow('flow-client-1') \gset
\setenv WF :wf
SELECT :'status' AS status, :'final' AS final, :'workflow_name' AS workflow_name,
       :'partner_client_id' AS partner_client_id;
\set sim_cid `"$QES_TOP"/test/simctl state "$WF" clientId`
SELECT :'cid' = :'sim_cid' AS same_client_id;
-- the same client reference maps to the same clientId
SELECT client_id = :'cid' AS same_client FROM qes_create_workflow('flow-client-1', 'qes');

-- status: new becomes pending once Fourthline checked the client
SELECT * FROM qes_status(:'wf');

-- upload two documents; their SHA-256 are recorded and match what arrived
SELECT document_id, size = length(p.bytes) AS size_ok,
       sha256 = pg_catalog.sha256(p.bytes) AS sha256_ok
  FROM qes_upload_documents(:'wf', ARRAY['contract', 'annex'],
                            ARRAY[(SELECT bytes FROM pdf WHERE id = 'contract'),
                                  (SELECT bytes FROM pdf WHERE id = 'annex')],
                            ARRAY['Contract 2026.pdf', 'annex.pdf']) u
  JOIN pdf p ON p.id = u.document_id
 ORDER BY 1;
\set sim_sha0 `"$QES_TOP"/test/simctl state "$WF" documents.0.sha256`
\set sim_sha1 `"$QES_TOP"/test/simctl state "$WF" documents.1.sha256`
\set sim_name0 `"$QES_TOP"/test/simctl state "$WF" documents.0.fileName`
SELECT document_id, encode(original_sha256, 'hex') IN (:'sim_sha0', :'sim_sha1')
       AS arrived_intact
  FROM qes_document d JOIN qes_workflow w ON w.id = d.workflow
 WHERE w.workflow_id = :'wf'
 ORDER BY 1;
SELECT :'sim_name0' AS file_name_sent;
\! "$QES_TOP"/test/simctl requests --endpoint E3 | cut -d' ' -f1-4

-- the mobile number as people type it goes out in E.164; we show it masked
SELECT qes_upload_mobile_number(:'wf', E'+31 (0)6\u00a01234-56.78');
SELECT mobile_number = '+31612345678' AS stored_e164 FROM qes_workflow WHERE workflow_id = :'wf';
\set sim_last2 `"$QES_TOP"/test/simctl state "$WF" mobile_last2`
SELECT :'sim_last2' AS sim_last_two_digits;

-- the SDK session gives an 8-character validation code
SELECT qes_create_sdk_session(:'wf') ~ '^[A-Z0-9]{8}$' AS validation_code_ok;

-- the signer's steps in the Web SDK, then the status read sees each
\! "$QES_TOP"/test/simctl signer "$WF" start
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl signer "$WF" consent
SELECT status FROM qes_status(:'wf');
\! "$QES_TOP"/test/simctl signer "$WF" passcode
SELECT status, status_code, errors FROM qes_status(:'wf');
SELECT final FROM qes_workflow WHERE workflow_id = :'wf';

-- download: the multipart/mixed answer and the bare PDF answer both work
SELECT substring(qes_fetch_signed(:'wf', 'contract') FROM 1 FOR 5) = '\x255044462d'::bytea AS is_pdf;
\! "$QES_TOP"/test/simctl config signed_answer=pdf
SELECT substring(qes_fetch_signed(:'wf', 'annex') FROM 1 FOR 5) = '\x255044462d'::bytea AS is_pdf;
SELECT d.document_id,
       d.signed_size > d.original_size AS grew,
       d.signed_extends_original,
       d.signed_sha256 = pg_catalog.sha256(d.signed) AS sha256_ok,
       d.verified, d.verify_reason
  FROM qes_document d JOIN qes_workflow w ON w.id = d.workflow
 WHERE w.workflow_id = :'wf'
 ORDER BY 1;
-- the contract: Namirial by default, so none
SELECT qes_fetch_contract(:'wf') IS NULL AS no_contract;

-- the history, written by the trigger
SELECT h.old_status, h.status, h.source
  FROM qes_status_history h JOIN qes_workflow w ON w.id = h.workflow
 WHERE w.workflow_id = :'wf'
 ORDER BY h.id;

-- file names with quotes, slashes and non-ASCII letters arrive intact, in
-- the metadata and (RFC 5987) in the part's filename*
SELECT workflow_id AS wf2 FROM qes_create_workflow('flow-client-2') \gset
\setenv WF2 :wf2
SELECT status FROM qes_status(:'wf2');
SELECT count(*) FROM qes_upload_documents(:'wf2', ARRAY['odd'], ARRAY[(SELECT bytes FROM pdf WHERE id = 'annex')],
                                          ARRAY[E'Annex "\u00c4"/1; \u20ac.pdf']);
\set sim_odd `"$QES_TOP"/test/simctl state "$WF2" documents.0.fileName`
SELECT :'sim_odd' = E'Annex "\u00c4"/1; \u20ac.pdf' AS metadata_name_intact;
\! "$QES_TOP"/test/simctl requests --endpoint E3 --json | tail -1 | python3 -c 'import json,sys; e=json.loads(sys.stdin.read()); print([(p["name"], p["filename"]) for p in e["parts"]])'
