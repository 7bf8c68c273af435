# lib.sh: shell functions shared by run-tests and demo.
#
# build_private DIR     build, and install under DIR (make install DESTDIR),
#                       not into the system: a run tests this tree's build
#                       and no other, and disturbs no other run; sets
#                       QES_INSTALL
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

build_private() {
	QES_INSTALL=$1
	make -s >/dev/null && make -s install DESTDIR="$QES_INSTALL" >/dev/null
}

cluster_settings() {
	# Debian's extension_destdir finds the control file, the script and
	# $libdir/qes under QES_INSTALL; dynamic_library_path finds the
	# preloaded library there too
	echo -o "extension_destdir=$QES_INSTALL" \
		-o "dynamic_library_path=$QES_INSTALL$(pg_config --pkglibdir):\$libdir" \
		-o "shared_preload_libraries=qes" \
		-o "qes.base_url=$SIM_URL" \
		-o "qes.ca_file=$QES_SIM_DIR/ca.pem" \
		-o "qes.trust_file=$QES_SIM_DIR/signing-ca.pem" \
		-o "qes.client_id=test-client" \
		-o "qes.client_secret=test-secret"
}
