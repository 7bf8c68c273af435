#!/bin/bash
# sync-tests.sh: the scripted tests, run inside a throwaway cluster by
# run-tests.  Each prints "test NAME ... ok" or "... FAILED" in pg_regress's
# manner, so that run-tests counts them with the rest.
#
#   scale       a thousand queued workflows reach their final states, and for
#               every one the simulator and the tables agree
#   crash       a backend killed (SIGKILL, then pg_terminate_backend) and the
#               server restarted in immediate mode in the middle of a sync of
#               hundreds of workflows: the next syncs leave no duplicate at
#               the simulator and no row lying about it
#   interrupts  cancel, terminate and statement_timeout land within 0.2 s
#               while a call waits on a silent server; DROP DATABASE and a
#               fast shutdown are not held up by it
#   secrets     with every log line on, no secret, token or full mobile
#               number reaches the server log or pg_stat_activity
set -u
sim="$QES_TOP/test/simctl"
check="$QES_TOP/test/simcheck.py"
out=${QES_SYNC_OUT:-/tmp}
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# rows: the tables as JSON lines, for simcheck.py compare
rows() {
	q -At -c "SELECT json_build_object(
	    'partner_client_id', w.partner_client_id, 'workflow_id', w.workflow_id,
	    'status', w.status, 'needs_operator', w.needs_operator,
	    'mobile_uploaded', w.mobile_uploaded_at IS NOT NULL,
	    'documents', (SELECT json_agg(json_build_object(
	        'document_id', d.document_id, 'uploaded', d.uploaded_at IS NOT NULL,
	        'sha256', encode(d.original_sha256, 'hex')))
	                   FROM qes_document d WHERE d.workflow = w.id))
	  FROM qes_workflow w ORDER BY w.id" > "$1"
}

# queue N PREFIX: queue N signings; every tenth client fails the identity check
queue() {
	q -c "SELECT count(qes_request_signing(
	          CASE WHEN i % 10 = 0 THEN '$2-kyc-' ELSE '$2-' END || i,
	          ARRAY['doc'], ARRAY[pg_read_binary_file('$QES_SIM_DIR/sync.pdf')],
	          '+316' || lpad(i::text, 8, '0')))
	        FROM generate_series(1, $1) i" >/dev/null
}

# sync_until_done: run qes_sync until a run leaves nothing due (at most 10)
sync_until_done() {
	local i left
	for i in $(seq 1 10); do
		left=$(q -At -c "CALL qes_sync(batch_size => 5000, time_budget => '5 min')" | cut -d'|' -f5)
		[ "$left" = "0" ] && return 0
	done
	return 1
}

verdict() {
	if [ "$2" -eq 0 ]; then
		printf 'test %-24s ... ok\n' "$1"
	else
		printf 'test %-24s ... FAILED\n' "$1"
	fi
}

setup() {
	"$sim" reset
	python3 "$QES_TOP/test/sim/makepdf.py" --pages 1 --out "$QES_SIM_DIR/sync.pdf"
	chmod 644 "$QES_SIM_DIR/sync.pdf"
	q -c "DROP EXTENSION IF EXISTS qes CASCADE" -c "CREATE EXTENSION qes"
}

scale() {
	local t0 t1 rc=0
	setup
	python3 "$check" ineligible scale-kyc- 1000 >/dev/null
	queue 1000 scale
	t0=$(date +%s.%N)
	sync_until_done || rc=1
	python3 "$check" sign-all
	sync_until_done || rc=1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" \
		'BEGIN { printf "scale: 1000 workflows to their final states in %.1f s of syncing\n", b - a }'
	q -c "SELECT status, workflows FROM qes_workflows_by_status"
	q -At -c "SELECT 'runs', count(*), 'reads', sum(read), 'failed', sum(failed) FROM qes_sync_run"
	q -c "SELECT * FROM qes_failures"
	rows "$out/scale-rows.json"
	python3 "$check" compare "$out/scale-rows.json" || rc=1
	# every workflow final, every signed one with its documents downloaded
	[ "$(q -At -c "SELECT count(*) FROM qes_workflow WHERE NOT final")" = 0 ] || rc=1
	[ "$(q -At -c "SELECT count(*) FROM qes_workflow WHERE status = 'signed'")" = 900 ] || rc=1
	[ "$(q -At -c "SELECT count(*) FROM qes_document d JOIN qes_workflow w ON w.id = d.workflow
	               WHERE w.status = 'signed' AND (d.signed IS NULL OR NOT d.signed_extends_original)")" = 0 ] || rc=1
	verdict sync_scale $rc
}

# kill_mid_sync HOW: start a sync of the queue, stop its backend mid-way
kill_mid_sync() {
	local pid i
	q -c "CALL qes_sync(batch_size => 5000, time_budget => '5 min')" >/dev/null 2>&1 &
	for i in $(seq 1 50); do
		pid=$(q -At -c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CALL qes_sync%' AND pid <> pg_backend_pid()")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	sleep 1.5
	case $1 in
		kill) kill -KILL "$pid" ;;
		terminate) q -c "SELECT pg_terminate_backend($pid)" >/dev/null ;;
		restart) pg_ctlcluster "$PGVERSION" regress restart -m immediate ;;
	esac
	wait
	for i in $(seq 1 100); do
		pg_isready -q && q -c "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

crash() {
	local rc=0
	setup
	"$sim" config latency_ms=15
	queue 300 crash
	kill_mid_sync kill || rc=1
	echo "crash: after SIGKILL: $(q -At -c "SELECT count(*) FILTER (WHERE workflow_id IS NOT NULL) || ' created, ' || count(*) FILTER (WHERE needs_operator IS NOT NULL) || ' for an operator' FROM qes_workflow")"
	kill_mid_sync terminate || rc=1
	echo "crash: after pg_terminate_backend: $(q -At -c "SELECT count(*) FILTER (WHERE workflow_id IS NOT NULL) || ' created, ' || count(*) FILTER (WHERE needs_operator IS NOT NULL) || ' for an operator' FROM qes_workflow")"
	kill_mid_sync restart || rc=1
	echo "crash: after an immediate restart: $(q -At -c "SELECT count(*) FILTER (WHERE workflow_id IS NOT NULL) || ' created, ' || count(*) FILTER (WHERE needs_operator IS NOT NULL) || ' for an operator' FROM qes_workflow")"
	"$sim" config latency_ms=0
	sync_until_done || rc=1
	python3 "$check" sign-all
	sync_until_done || rc=1
	q -c "SELECT state, next_step, left(needs_operator, 60) AS needs_operator, count(*) FROM qes_queue GROUP BY 1, 2, 3"
	rows "$out/crash-rows.json"
	python3 "$check" compare "$out/crash-rows.json" || rc=1

	# the operator looks each one up at Fourthline: found, it is attached;
	# not found, the creation is retried
	local id ref found
	q -At -F' ' -c "SELECT id, partner_client_id FROM qes_workflow WHERE needs_operator IS NOT NULL" |
	while read -r id ref; do
		found=$(python3 "$check" workflow-id "$ref")
		if [ -n "$found" ]; then
			q -c "SELECT qes_resolve($id, 'done', '$found')" >/dev/null
		else
			q -c "SELECT qes_resolve($id, 'retry')" >/dev/null
		fi
	done
	sync_until_done || rc=1
	python3 "$check" sign-all
	sync_until_done || rc=1
	rows "$out/crash-rows.json"
	python3 "$check" compare "$out/crash-rows.json" || rc=1
	[ "$(q -At -c "SELECT count(*) FROM qes_workflow WHERE status IS DISTINCT FROM 'signed'")" = 0 ] || rc=1
	verdict sync_crash $rc
}

# in_flight_call SQL: start SQL in the background, wait until its backend
# waits on the network; sets CALL_PID (psql) and BACKEND_PID
in_flight_call() {
	local i
	psql -X -q -c "$1" >/dev/null 2>&1 &
	CALL_PID=$!
	BACKEND_PID=
	for i in $(seq 1 100); do
		BACKEND_PID=$(q -At -c "SELECT pid FROM pg_stat_activity
		                        WHERE wait_event_type = 'Extension' AND pid <> pg_backend_pid()")
		[ -n "$BACKEND_PID" ] && return 0
		sleep 0.05
	done
	return 1
}

# seconds_until_gone: wait for CALL_PID to end; print how long it took
seconds_until_gone() {
	local t0=$1 t1
	wait "$CALL_PID" 2>/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

interrupts() {
	local rc=0 wf t0 took
	setup
	wf=$(q -At -c "SELECT workflow_id FROM qes_create_workflow('interrupt-client')")
	"$sim" fault E6 delay_ms=20000 times=-1

	for signal in pg_cancel_backend pg_terminate_backend; do
		in_flight_call "SELECT qes_api_status('$wf')" || rc=1
		t0=$(date +%s.%N)
		q -c "SELECT $signal($BACKEND_PID)" >/dev/null
		took=$(seconds_until_gone "$t0")
		echo "interrupts: $signal landed in $took s"
		awk -v t="$took" 'BEGIN { exit !(t <= 0.2) }' || rc=1
	done

	t0=$(date +%s.%N)
	q -c "SET statement_timeout = '300ms'" -c "SELECT qes_api_status('$wf')" >/dev/null 2>&1
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a - 0.3 }')
	echo "interrupts: statement_timeout of 300 ms landed $took s late (psql's start included)"
	awk -v t="$took" 'BEGIN { exit !(t <= 0.2) }' || rc=1

	q -c "CREATE DATABASE qes_drop_me"
	q -d qes_drop_me -c "CREATE EXTENSION qes"
	CALL_PID=
	psql -X -q -d qes_drop_me -c "SELECT qes_api_status('$wf')" >/dev/null 2>&1 &
	CALL_PID=$!
	sleep 0.5
	t0=$(date +%s.%N)
	q -c "DROP DATABASE qes_drop_me WITH (FORCE)" || rc=1
	took=$(seconds_until_gone "$t0")
	echo "interrupts: DROP DATABASE WITH (FORCE) done in $took s"
	awk -v t="$took" 'BEGIN { exit !(t <= 1) }' || rc=1

	in_flight_call "SELECT qes_api_status('$wf')" || rc=1
	t0=$(date +%s.%N)
	pg_ctlcluster "$PGVERSION" regress stop -m fast || rc=1
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	echo "interrupts: fast shutdown done in $took s"
	awk -v t="$took" 'BEGIN { exit !(t <= 2) }' || rc=1
	wait "$CALL_PID" 2>/dev/null
	pg_ctlcluster "$PGVERSION" regress start || rc=1
	"$sim" clear-faults
	verdict interrupts $rc
}

secrets() {
	local rc=0 wf logs pattern
	setup
	# pg_virtualenv -t keeps the server's log beside the cluster's config
	logs=$(dirname "${PG_CLUSTER_CONF_ROOT:-/etc/postgresql}")/log
	[ -d "$logs" ] || logs=/var/log/postgresql
	q -c "ALTER SYSTEM SET log_min_messages = debug1" -c "ALTER SYSTEM SET log_statement = 'all'" \
		-c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
	# the client reference and the number stay out of the statement's text,
	# as with a bind parameter; an error that echoes the reference masks it
	printf 'ACME-CLIENT-4711' >"$QES_SIM_DIR/reference.txt"
	chmod 644 "$QES_SIM_DIR/reference.txt"
	"$sim" fault E2 status=400 'body={"errors":[{"code":"bad","message":"partnerClientId ACME-CLIENT-4711 refused"}]}'
	q -c "SELECT qes_create_workflow(pg_read_file('$QES_SIM_DIR/reference.txt'))" >/dev/null 2>&1
	wf=$(q -At -c "SELECT workflow_id FROM qes_create_workflow(pg_read_file('$QES_SIM_DIR/reference.txt'))")
	q -c "SELECT * FROM qes_status('$wf')" >/dev/null
	q -c "SELECT count(*) FROM qes_upload_documents('$wf', ARRAY['d'], ARRAY[pg_read_binary_file('$QES_SIM_DIR/sync.pdf')])" >/dev/null
	printf '+31 6 9876 5432' >"$QES_SIM_DIR/number.txt"
	chmod 644 "$QES_SIM_DIR/number.txt"
	q -c "SELECT qes_upload_mobile_number('$wf', pg_read_file('$QES_SIM_DIR/number.txt'))" >/dev/null || rc=1
	"$sim" revoke-tokens
	q -c "SELECT * FROM qes_status('$wf')" >/dev/null
	"$sim" fault E4 status=400 'body={"errors":[{"code":"bad","message":"number +31 6 9876 5432 refused"}]}'
	q -c "SELECT qes_api_upload_mobile_number('$wf', '+31612340000')" >/dev/null 2>&1
	q -c "ALTER SYSTEM RESET log_min_messages" -c "ALTER SYSTEM RESET log_statement" \
		-c "SELECT pg_reload_conf()" >/dev/null
	pattern=${QES_SECRET_PATTERN:-'test-secret|Bearer [A-Za-z0-9]|98765432|9876 5432|ACME-CLIENT'}
	if grep -rqaE "$pattern" "$logs"; then
		echo "secrets: found in the server log:"
		grep -rhaE "$pattern" "$logs" | head -5
		rc=1
	fi
	grep -rqa 'qes: GET' "$logs" || { echo "secrets: no DEBUG1 line seen in $logs"; rc=1; }
	verdict secrets $rc
}

for t in ${*:-scale crash interrupts secrets}; do
	"$t"
done
