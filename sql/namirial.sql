-- namirial: the InfoCert contract is a PDF when the signing went to
-- InfoCert, and NULL when it went to Namirial (HTTP 204); both are stored.
\set SHOW_CONTEXT never
\! "$QES_TOP"/test/simctl reset
\! python3 "$QES_TOP"/test/sim/makepdf.py --pages 1 --out "$QES_SIM_DIR"/qtsp.pdf
\getenv simdir QES_SIM_DIR
CREATE TEMP TABLE qtsp (name text, wf uuid);
INSERT INTO qtsp SELECT 'infocert', workflow_id FROM qes_create_workflow('qtsp-infocert');
INSERT INTO qtsp SELECT 'namirial', workflow_id FROM qes_create_workflow('qtsp-namirial');
SELECT q.name, s.status FROM qtsp q, qes_status(q.wf) s ORDER BY 1;
SELECT q.name, count(*) FROM qtsp q,
       qes_upload_documents(q.wf, ARRAY['doc'], ARRAY[pg_read_binary_file(:'simdir' || '/qtsp.pdf')])
 GROUP BY 1 ORDER BY 1;
SELECT q.name, qes_upload_mobile_number(q.wf, '+31612345678') FROM qtsp q ORDER BY 1;
SELECT q.name, length(qes_create_sdk_session(q.wf)) FROM qtsp q ORDER BY 1;
SELECT wf AS wf_infocert FROM qtsp WHERE name = 'infocert' \gset
SELECT wf AS wf_namirial FROM qtsp WHERE name = 'namirial' \gset
\setenv WFI :wf_infocert
\setenv WFN :wf_namirial
\! "$QES_TOP"/test/simctl qtsp "$WFI" infocert
\! "$QES_TOP"/test/simctl qtsp "$WFN" namirial
\! "$QES_TOP"/test/simctl signer "$WFI" done
\! "$QES_TOP"/test/simctl signer "$WFN" done
SELECT q.name, s.status FROM qtsp q, qes_status(q.wf) s ORDER BY 1;

SELECT q.name, substring(qes_fetch_contract(q.wf) FROM 1 FOR 5) = '\x255044462d'::bytea AS contract_is_pdf
  FROM qtsp q ORDER BY 1;
SELECT q.name, w.contract IS NOT NULL AS stored,
       w.contract_sha256 = pg_catalog.sha256(w.contract) AS sha256_ok,
       w.contract_checked_at IS NOT NULL AS checked
  FROM qtsp q JOIN qes_workflow w ON w.workflow_id = q.wf ORDER BY 1;
\! "$QES_TOP"/test/simctl requests --endpoint E8 | cut -d' ' -f1,2,4
