-- verify: a signed PDF is checked on our side to be the uploaded document,
-- signed and nothing else: valid ones pass; a byte changed in the original
-- part or in the signature, a truncated file, a second update after
-- signing, a signer outside the trust file, another original and hostile
-- files each fail with a reason, never a crash; and our verdict agrees with
-- Debian's pdfsig on every case that pdfsig can judge.
\set SHOW_CONTEXT never
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 2 --out "$QES_SIM_DIR"/verify-original.pdf
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 1 --title other --out "$QES_SIM_DIR"/verify-other.pdf
\! rm -rf "$QES_SIM_DIR"/tampered "$QES_SIM_DIR"/nss && mkdir "$QES_SIM_DIR"/tampered "$QES_SIM_DIR"/nss
\! python3 "$QES_TOP"/test/tamper.py make "$QES_SIM_DIR"/tampered "$QES_SIM_DIR"/verify-original.pdf "$QES_SIM_DIR"
\! certutil -N -d sql:"$QES_SIM_DIR"/nss --empty-password && certutil -A -d sql:"$QES_SIM_DIR"/nss -n ca -t CT,C,C -i "$QES_SIM_DIR"/signing-ca.pem
\getenv simdir QES_SIM_DIR
CREATE TEMP TABLE cases (name text, pdfsig boolean);
\set c valid
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/valid.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c byte_in_original
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/byte_in_original.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c byte_in_signature
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/byte_in_signature.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c truncated
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/truncated.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c appended
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/appended.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c outside_chain
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/outside_chain.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c huge_range
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/huge_range.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c negative_range
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/negative_range.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c no_contents
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/no_contents.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c not_cms
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/not_cms.pdf`
INSERT INTO cases VALUES (:'c', :'p');
\set c nested
\set p `python3 "$QES_TOP"/test/tamper.py pdfsig "$QES_SIM_DIR"/nss "$QES_SIM_DIR"/tampered/nested.pdf`
INSERT INTO cases VALUES (:'c', :'p');

-- every check, and whether we agree with pdfsig
SELECT c.name, v.starts_with_original AS starts, v.update_only_signature AS only_sig,
       v.byte_range_ok AS range, v.signature_ok AS sig, v.chain_trusted AS trusted,
       v.verdict, v.verdict = c.pdfsig AS agrees_with_pdfsig, v.reason
  FROM cases c,
       qes_verify_signed(pg_read_binary_file(:'simdir' || '/verify-original.pdf'),
                         pg_read_binary_file(:'simdir' || '/tampered/' || c.name || '.pdf')) v
 ORDER BY c.name;

-- the signer as the certificate says
SELECT signer_subject, signer_issuer, signer_serial ~ '^[0-9A-F]+$' AS serial_hex,
       valid_from < signing_time AND signing_time < valid_until AS signed_while_valid
  FROM qes_verify_signed(pg_read_binary_file(:'simdir' || '/verify-original.pdf'),
                         pg_read_binary_file(:'simdir' || '/tampered/valid.pdf'));

-- a valid signature over another original is not our document
SELECT verdict, reason
  FROM qes_verify_signed(pg_read_binary_file(:'simdir' || '/verify-other.pdf'),
                         pg_read_binary_file(:'simdir' || '/tampered/valid.pdf'));
-- garbage gets a verdict, not a crash
SELECT verdict, reason FROM qes_verify_signed('%PDF-1.4', '\x00'::bytea);
SELECT verdict, reason FROM qes_verify_signed('%PDF-1.4', '%PDF-1.4 trailer /ByteRange [0 5 ');
-- without a trust file, no verdict of trust
SET qes.trust_file = '';
SELECT chain_trusted, verdict, reason
  FROM qes_verify_signed(pg_read_binary_file(:'simdir' || '/verify-original.pdf'),
                         pg_read_binary_file(:'simdir' || '/tampered/valid.pdf'));
RESET qes.trust_file;
\set ON_ERROR_STOP 0
SELECT verdict FROM qes_verify_signed(NULL, '%PDF-');
\echo SQLSTATE :SQLSTATE
\set ON_ERROR_STOP 1

-- the sync and qes_fetch_signed verify each document as it is stored, and
-- qes_unverified lists the ones that fail
SELECT workflow_id AS vw FROM qes_create_workflow('verify-client') \gset
SELECT status FROM qes_status(:'vw');
SELECT count(*) FROM qes_upload_documents(:'vw', ARRAY['doc'],
       ARRAY[pg_read_binary_file(:'simdir' || '/verify-original.pdf')]);
UPDATE qes_document d SET signed = pg_read_binary_file(:'simdir' || '/tampered/byte_in_signature.pdf')
  FROM qes_workflow w WHERE w.id = d.workflow AND w.workflow_id = :'vw';
SELECT partner_client_id, document_id, verify_reason FROM qes_unverified;
SELECT verdict, reason FROM qes_verify_document(:'vw', 'doc');
