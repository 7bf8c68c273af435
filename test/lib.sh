# lib.sh: shell functions shared by run-tests and demo.
#
# start_simulator DIR   start the Fourthline simulator with its state in DIR
#                       and wait until it listens; sets SIM_PID, SIM_URL and
#                       exports QES_SIM_DIR for simctl
# stop_simulator        stop it (only the process we started)
# cluster_settings      the -o options of pg_virtualenv that load qes and
#                       point it at the simulator

start_simulator() {
	local dir=$1 i
	mkdir -p "$dir"
	python3 "$QES_TOP/test/sim/fourthline_sim.py" --state-dir "$dir" --quiet \
		>"$dir/stdout" 2>"$dir/stderr" &
	SIM_PID=$!
	for i in $(seq 1 300); do
		if grep -q '^READY ' "$dir/stdout" 2>/dev/null; then
			SIM_URL=$(sed -n 's/^READY //p' "$dir/stdout")
			export QES_SIM_DIR=$dir
			return 0
		fi
		if ! kill -0 "$SIM_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "the simulator did not start:" >&2
	cat "$dir/stderr" >&2
	return 1
}

stop_simulator() {
	if [ -n "${SIM_PID:-}" ] && kill -0 "$SIM_PID" 2>/dev/null; then
		kill "$SIM_PID"
		wait "$SIM_PID" 2>/dev/null
	fi
	SIM_PID=
}

cluster_settings() {
	echo -o "shared_preload_libraries=qes" \
		-o "qes.base_url=$SIM_URL" \
		-o "qes.ca_file=$QES_SIM_DIR/ca.pem" \
		-o "qes.client_id=test-client" \
		-o "qes.client_secret=test-secret"
}
