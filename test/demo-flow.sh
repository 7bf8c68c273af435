#!/bin/bash
# demo-flow.sh PDF OUT: the SQL side of test/demo, run inside the throwaway
# cluster.  Each step is one statement an application would run; the
# signer's steps in the Web SDK are played by the simulator.
set -eu
pdf=$1
out=$2
simctl="$QES_TOP/test/simctl"
q() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }
step() { printf '\n== %s\n' "$*"; }

q -c 'CREATE EXTENSION qes'

step "create the workflow for our client reference"
q -c "SELECT workflow_id, client_id, status FROM qes_create_workflow('customer-4711')"
wf=$(q -At -c "SELECT workflow_id FROM qes_workflow WHERE partner_client_id = 'customer-4711'")

step "read the status: Fourthline has checked the client"
q -c "SELECT * FROM qes_status('$wf')"

step "upload the PDF and the signer's mobile number"
q -c "SELECT document_id, size, encode(sha256, 'hex') AS sha256
        FROM qes_upload_documents('$wf', ARRAY['agreement'],
                                  ARRAY[pg_read_binary_file('$pdf')],
                                  ARRAY['Loan agreement.pdf'])"
q -c "SELECT qes_upload_mobile_number('$wf', '+31 6 1234 5678') AS mobile_number"

step "create the SDK session: the validation code starts the Web SDK"
q -c "SELECT qes_create_sdk_session('$wf') AS validation_code"

step "the signer consents and confirms with the SMS passcode (simulated)"
"$simctl" signer "$wf" start
q -c "SELECT status FROM qes_status('$wf')"
"$simctl" signer "$wf" consent
q -c "SELECT status FROM qes_status('$wf')"
"$simctl" signer "$wf" passcode
q -c "SELECT status FROM qes_status('$wf')"
q -c "SELECT status, final FROM qes_workflow WHERE workflow_id = '$wf'"

step "download the signed PDF and the contract"
q -c "SELECT length(qes_fetch_signed('$wf', 'agreement')) AS signed_bytes"
q -c "SELECT qes_fetch_contract('$wf') IS NULL AS no_infocert_contract"
q -At -c "SELECT encode(signed, 'base64') FROM qes_document WHERE document_id = 'agreement'" |
	base64 -d > "$out"

step "the status history, written by the trigger"
q -c "SELECT h.changed_at::time(0) AS at, h.old_status, h.status, h.source
        FROM qes_status_history h JOIN qes_workflow w ON w.id = h.workflow
       WHERE w.workflow_id = '$wf' ORDER BY h.id"

step "the stored documents"
q -c "SELECT document_id, original_size, signed_size, signed_extends_original,
             encode(signed_sha256, 'hex') AS signed_sha256
        FROM qes_document"
