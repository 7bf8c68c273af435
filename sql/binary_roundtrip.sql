-- binary_roundtrip: a PDF holding NUL and every byte from 0x80 to 0xFF goes
-- out and comes back byte for byte; the signed PDF starts with exactly the
-- bytes we uploaded.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 2 --binary --out "$QES_SIM_DIR"/binary.pdf
\getenv simdir QES_SIM_DIR
CREATE TEMP TABLE bin AS SELECT pg_read_binary_file(:'simdir' || '/binary.pdf') AS pdf;
-- the test document really holds those bytes
SELECT position('\x00'::bytea IN pdf) > 0 AS has_nul,
       (SELECT count(DISTINCT get_byte(pdf, i)) FROM generate_series(0, length(pdf) - 1) i
         WHERE get_byte(pdf, i) >= 128) AS high_bytes
  FROM bin;
SELECT workflow_id AS wf FROM qes_create_workflow('binary-client') \gset
\setenv WF :wf
SELECT status FROM qes_status(:'wf');
SELECT sha256 = (SELECT pg_catalog.sha256(pdf) FROM bin) AS stored_intact
  FROM qes_upload_documents(:'wf', ARRAY['bin'], ARRAY[(SELECT pdf FROM bin)]);
\set sim_sha `"$QES_TOP"/test/simctl state "$WF" documents.0.sha256`
\set sim_size `"$QES_TOP"/test/simctl state "$WF" documents.0.size`
SELECT :'sim_sha' = encode(pg_catalog.sha256(pdf), 'hex') AS arrived_intact,
       :'sim_size'::int = length(pdf) AS same_size
  FROM bin;
SELECT qes_upload_mobile_number(:'wf', '+31612345678');
SELECT length(qes_create_sdk_session(:'wf'));
\! "$QES_TOP"/test/simctl signer "$WF" done
SELECT status FROM qes_status(:'wf');
-- the multipart answer
SELECT substring(qes_fetch_signed(:'wf', 'bin') FROM 1 FOR length(pdf)) = pdf AS starts_with_original
  FROM bin;
-- the bare PDF answer
\! "$QES_TOP"/test/simctl config signed_answer=pdf
SELECT substring(qes_fetch_signed(:'wf', 'bin') FROM 1 FOR length(pdf)) = pdf AS starts_with_original
  FROM bin;
SELECT original = (SELECT pdf FROM bin) AS original_kept, signed_extends_original,
       signed_sha256 = pg_catalog.sha256(signed) AS sha256_ok
  FROM qes_document WHERE document_id = 'bin';
