#!/bin/bash
# memory-test.sh: 100,000 calls of the extension's functions in ONE backend
# grow its resident memory by less than 1 MB.  Run inside a throwaway
# cluster next to the simulator, as run-tests does:
#
#   pg_virtualenv -t $(cluster_settings) bash test/memory-test.sh
#
# Most calls are the cheap network ones (qes_api_status and qes_status on a
# real, signed workflow); a good share ends in an error on every kind of
# path: API errors injected with simctl faults (404, 500, 429, 401 with the
# token replay, a refused token, malformed JSON, a body that parses but is
# wrong, a truncated body, a dropped connection, a timeout of libcurl's, a
# statement_timeout that interrupts the wait), API errors that the simulator
# gives on its own (422, 409, 404), and input errors refused before anything
# is sent (bad ids, bad phone numbers, control characters, not a PDF, NULLs,
# an untracked workflow).  Errors are caught in PL/pgSQL EXCEPTION blocks,
# and every call must end the way its path says (the SQLSTATE, or success).
#
# The measure is the backend's RssAnon (/proc/PID/status, PID from
# pg_backend_pid()): RSS also counts the shared memory a backend touched,
# RssAnon does not.  It is read after a warm-up of about 1,000 calls over
# every path, after each path, and at the end.  Prints one "memory:" line a
# path and a total, then "test memory ... ok" when the growth is under
# QES_MEMORY_LIMIT_KB (1024), "... FAILED" otherwise.  QES_MEMORY_SCALE
# (default 1) multiplies the number of calls, for a quicker or longer run.
set -u
sim="$QES_TOP/test/simctl"
out=${QES_MEMORY_OUT:-$(mktemp -d /tmp/qes-memory.XXXXXX)}
mkdir -p "$out"
scale=${QES_MEMORY_SCALE:-1}
limit_kb=${QES_MEMORY_LIMIT_KB:-1024}
rc=0

# The paths: name, calls, kind of call (see memtest_call below), the
# outcome each call must have (ok or a SQLSTATE), and the simctl fault that
# makes it happen (none: the simulator's own answer, or no request at all).
# A batch call reads ten statuses at once.  With the statement_timeout
# path below, calls add up to 100,000.
paths="
status_ok        27700 status       ok     -
tracked_ok       10000 tracked      ok     -
batch_ok          1000 batch        ok     -
signed_ok         1000 signed       ok     -
contract_none     1000 contract     ok     -
verify_ok          500 verify       ok     -
http_404          4000 status       QF404  E6 status=404
http_500          4000 status       QF500  E6 status=500
http_429          4000 status       QF429  E6 status=429 retry_after=7
http_401_replay   2000 status       QF401  E6 status=401
token_refused     2000 status       QF500  E6 status=401;E1 status=500
malformed_json    4000 status       QF502  E6 malformed=true
wrong_answer      2000 status       QF502  E6 status=200 body={\"status\":42}
truncated         2000 status       08006  E6 truncate=true
dropped           2000 status       08006  E6 drop=true
libcurl_timeout    200 timeout      QF408  E6 delay_ms=1000
batch_failed       500 batch        QF500  E6 status=503
create_500        1000 create       QF500  E2 status=500
upload_final      1000 upload       QF409  -
mobile_final      1000 mobile       QF409  -
session_final     1000 session      QF409  -
document_404      1000 nodoc        QF404  -
bad_mobile        4000 bad_mobile   22023  -
bad_number        4000 bad_number   22023  -
bad_document_id   4000 bad_docid    22023  -
null_workflow     4000 null_id      22004  -
control_chars     3800 bad_text     22023  -
not_a_pdf         4000 not_pdf      22023  -
untracked         2000 untracked    P0002  -
verify_not_cms     500 verify_cms   ok     -
verify_tampered    500 verify_bytes ok     -
"
# the statement_timeout path runs as top-level statements, one a call
cancel_calls=300

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

setup() {
	"$sim" reset || return 1
	python3 "$QES_TOP/test/sim/makepdf.py" --pages 1 --out "$QES_SIM_DIR/memory.pdf" || return 1
	chmod 644 "$QES_SIM_DIR/memory.pdf"
	q -c "DROP EXTENSION IF EXISTS qes CASCADE" -c "CREATE EXTENSION qes" || return 1
	# one tracked workflow, signed: its status, its document and its
	# (absent) contract can be read without end
	q >/dev/null <<-SQL || return 1
	SELECT workflow_id AS wf FROM qes_create_workflow('memory-client') \gset
	\setenv WF :wf
	SELECT status FROM qes_status(:'wf');
	SELECT count(*) FROM qes_upload_documents(:'wf', ARRAY['doc'],
	       ARRAY[pg_read_binary_file('$QES_SIM_DIR/memory.pdf')]);
	SELECT qes_upload_mobile_number(:'wf', '+316' || lpad('1', 8, '0'));
	SELECT qes_create_sdk_session(:'wf') IS NOT NULL;
	\! "$sim" signer "\$WF" done
	SELECT status FROM qes_status(:'wf');
	CREATE TABLE memtest_fixture AS
	SELECT :'wf'::uuid AS wf,
	       pg_read_binary_file('$QES_SIM_DIR/memory.pdf') AS original,
	       qes_api_signed_document(:'wf', 'doc') AS signed;
	SQL
	[ "$(q -At -c "SELECT status FROM qes_workflow")" = signed ] || {
		echo "memory: the fixture workflow is not signed"
		return 1
	}
	q <<-'SQL'
	CREATE FUNCTION memtest_rss() RETURNS bigint LANGUAGE sql AS $$
	  SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status')
	                   FROM 'RssAnon:\s+(\d+)')::bigint
	$$;

	-- one call of a kind; raises what the call raises
	CREATE FUNCTION memtest_call(kind text, f memtest_fixture) RETURNS text
	LANGUAGE plpgsql AS $$
	DECLARE
	  failed int;
	  state text;
	BEGIN
	  CASE kind
	  WHEN 'status' THEN PERFORM qes_api_status(f.wf);
	  WHEN 'tracked' THEN PERFORM qes_status(f.wf);
	  WHEN 'timeout' THEN PERFORM qes_api_status(f.wf);
	  WHEN 'batch' THEN
	    -- ten reads side by side: all must succeed, or all fail alike
	    SELECT count(*) FILTER (WHERE error_sqlstate IS NOT NULL),
	           min(coalesce(error_sqlstate, 'ok'))
	      INTO failed, state
	      FROM qes_api_status_many(array_fill(f.wf, ARRAY[10]), 4);
	    IF failed = 0 THEN RETURN 'ok'; END IF;
	    IF failed = 10 THEN RETURN state; END IF;
	    RETURN 'mixed';
	  WHEN 'signed' THEN
	    IF substring(qes_api_signed_document(f.wf, 'doc') FROM 1 FOR 5) <> '%PDF-'::bytea THEN
	      RETURN 'not a PDF';
	    END IF;
	  WHEN 'contract' THEN
	    IF qes_api_contract(f.wf) IS NOT NULL THEN RETURN 'a contract'; END IF;
	  WHEN 'verify' THEN
	    IF NOT (qes_verify_signed(f.original, f.signed)).verdict THEN
	      RETURN 'verdict false';
	    END IF;
	  WHEN 'verify_cms' THEN
	    -- the hex string of /Contents starts with zeros: no CMS inside
	    IF (qes_verify_signed(f.original,
	          overlay(f.signed PLACING convert_to(repeat('0', 64), 'UTF8')
	                  FROM position(convert_to('/Contents <', 'UTF8') IN f.signed) + 11)))
	       .reason IS DISTINCT FROM 'the signature is not a CMS SignedData' THEN
	      RETURN 'another verdict';
	    END IF;
	  WHEN 'verify_bytes' THEN
	    -- one byte of the original changed: the signature does not verify
	    IF (qes_verify_signed(f.original,
	          set_byte(f.signed, 99, get_byte(f.signed, 99) # 1))).signature_ok THEN
	      RETURN 'signature_ok';
	    END IF;
	  WHEN 'create' THEN PERFORM qes_api_create_workflow('memory-client-2');
	  WHEN 'upload' THEN
	    PERFORM qes_api_upload_documents(f.wf, ARRAY['doc'], ARRAY[f.original]);
	  WHEN 'mobile' THEN
	    PERFORM qes_api_upload_mobile_number(f.wf, '+316' || lpad('2', 8, '0'));
	  WHEN 'session' THEN PERFORM qes_api_create_sdk_session(f.wf);
	  WHEN 'nodoc' THEN PERFORM qes_api_signed_document(f.wf, 'never-uploaded');
	  WHEN 'bad_mobile' THEN PERFORM qes_api_upload_mobile_number(f.wf, '0612');
	  WHEN 'bad_number' THEN PERFORM qes_normalize_mobile_number('+31 6 12ab');
	  WHEN 'bad_docid' THEN PERFORM qes_api_signed_document(f.wf, '../status');
	  WHEN 'null_id' THEN PERFORM qes_api_status(NULL);
	  WHEN 'bad_text' THEN PERFORM qes_api_create_workflow(E'memory\r\nclient');
	  WHEN 'not_pdf' THEN
	    PERFORM qes_check_documents(ARRAY['a', 'b'], ARRAY[f.original, 'hello'::bytea]);
	  WHEN 'untracked' THEN PERFORM qes_status(gen_random_uuid());
	  END CASE;
	  RETURN 'ok';
	END
	$$;

	-- n calls of a kind, committing every 500; one line of figures:
	-- path|calls|as expected|seconds|RssAnon before|after|first other outcome
	CREATE PROCEDURE memtest_run(path text, kind text, n int, expect text,
	                             INOUT line text DEFAULT NULL)
	LANGUAGE plpgsql AS $$
	DECLARE
	  f memtest_fixture;
	  outcome text;
	  msg text;
	  matched int := 0;
	  other text;
	  rss0 bigint := memtest_rss();
	  t0 timestamptz := clock_timestamp();
	BEGIN
	  SELECT * INTO f FROM memtest_fixture;
	  FOR i IN 1..n LOOP
	    BEGIN
	      outcome := memtest_call(kind, f);
	      msg := NULL;
	    EXCEPTION WHEN OTHERS THEN
	      GET STACKED DIAGNOSTICS outcome = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	    END;
	    IF outcome = expect THEN
	      matched := matched + 1;
	    ELSIF other IS NULL THEN
	      other := outcome || coalesce(': ' || msg, '');
	    END IF;
	    IF i % 500 = 0 THEN
	      COMMIT;
	      -- a toasted value of before the commit may not be read after it
	      SELECT * INTO f FROM memtest_fixture;
	    END IF;
	  END LOOP;
	  COMMIT;
	  line := concat_ws('|', path, n, matched,
	                    round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2),
	                    rss0, memtest_rss(), other);
	END
	$$;
	SQL
}

# script PHASE DIVISOR: the psql lines that run every path with calls/DIVISOR
# calls each (at least 5)
script() {
	local phase=$1 div=$2 name calls kind expect fault n i
	echo "$paths" | while read -r name calls kind expect fault; do
		[ -z "$name" ] && continue
		n=$(awk -v c="$calls" -v s="$scale" -v d="$div" \
			'BEGIN { n = int(c * s / d); print (n < 5 ? 5 : n) }')
		# faults are separated by ";"
		[ "$fault" != - ] && echo "$fault" | tr ';' '\n' | while read -r f; do
			printf '\\! "%s" fault %s times=-1\n' "$sim" "$f"
		done
		[ "$kind" = timeout ] && echo "SET qes.request_timeout = 20;"
		printf "CALL memtest_run('%s %s', '%s', %d, '%s');\n" "$phase" "$name" "$kind" "$n" "$expect"
		[ "$kind" = timeout ] && echo "RESET qes.request_timeout;"
		[ "$fault" != - ] && printf '\\! "%s" clear-faults\n' "$sim"
		printf '\\! "%s" clear-requests\n' "$sim"
	done
	# a statement_timeout that lands while the call waits on the network:
	# top-level statements, since the timeout is a statement's
	n=$(awk -v c="$cancel_calls" -v s="$scale" -v d="$div" \
		'BEGIN { n = int(c * s / d); print (n < 5 ? 5 : n) }')
	printf '\\! "%s" fault E6 delay_ms=1000 times=-1\n' "$sim"
	echo "SELECT memtest_rss() AS rss0, extract(epoch FROM clock_timestamp()) AS t0 \\gset"
	echo "\\o $out/cancel-$phase.states"
	echo "\\set ON_ERROR_STOP 0"
	echo "SET statement_timeout = 25;"
	for i in $(seq 1 "$n"); do
		echo "SELECT qes_api_status(wf) FROM memtest_fixture;"
		echo "\\qecho state :SQLSTATE"
	done
	echo "RESET statement_timeout;"
	echo "\\set ON_ERROR_STOP 1"
	echo "\\o"
	printf '\\! "%s" clear-faults\n' "$sim"
	# the matched count is filled in from the states file afterwards
	echo "SELECT concat_ws('|', '$phase cancel', $n, 'CANCEL', round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 2), :rss0, memtest_rss());"
}

if ! setup; then
	echo "memory: setup failed"
	printf 'test %-24s ... FAILED\n' memory
	exit 0
fi

{
	echo "SELECT concat_ws('|', 'pid', pg_backend_pid());"
	script warmup 100
	echo "SELECT concat_ws('|', 'start', memtest_rss(), extract(epoch FROM clock_timestamp()));"
	script run 1
	echo "SELECT concat_ws('|', 'end', memtest_rss(), extract(epoch FROM clock_timestamp()));"
} >"$out/memory.sql"

# one psql, so one backend, for all of it
q -At -f "$out/memory.sql" >"$out/memory.lines" 2>"$out/memory.stderr" || {
	echo "memory: psql failed:"
	grep -v 'canceling statement due to statement timeout' "$out/memory.stderr" | tail -5
	rc=1
}

# the cancel lines: as expected when the statement timed out
for phase in warmup run; do
	[ -f "$out/cancel-$phase.states" ] || continue
	m=$(grep -c '^state 57014$' "$out/cancel-$phase.states")
	sed -i "s/^$phase cancel|\([0-9]*\)|CANCEL|/$phase cancel|\1|$m|/" "$out/memory.lines"
	other=$(grep -v '^state 57014$' "$out/cancel-$phase.states" | grep '^state' | head -1)
	[ -n "$other" ] && sed -i "/^$phase cancel|/s/\$/|$other/" "$out/memory.lines"
done

awk -F'|' -v limit="$limit_kb" '
	$1 == "pid" { pid = $2 }
	$1 == "start" { start = $2; t0 = $3 }
	$1 == "end" { end = $2; t1 = $3 }
	$1 ~ / / {
		split($1, w, " ")
		if (w[1] == "warmup") {
			wcalls += $2
			if ($3 != $2) {
				bad++
				print "memory: warm-up " w[2] ": " $2 - $3 " calls ended otherwise, first: " $7
			}
			next
		}
		calls += $2
		printf "memory: %-16s %6d calls, %6d as expected, %6.2f s, RssAnon %6d -> %6d kB (%+d)\n", w[2], $2, $3, $4, $5, $6, $6 - $5
		if ($3 != $2) { bad++; print "memory:   " $2 - $3 " ended otherwise, first: " $7 }
	}
	END {
		if (start == "" || end == "") { print "memory: no figures"; exit 1 }
		printf "memory: backend %d: %d warm-up calls, then %d calls in %.1f s; RssAnon %d kB after the warm-up, %d kB after the calls: %+d kB (limit %d kB)\n", pid, wcalls, calls, t1 - t0, start, end, end - start, limit
		if (bad > 0) { print "memory: some calls did not end the way their path says"; exit 1 }
		if (end - start >= limit) exit 1
		if (calls < 1000) exit 1
	}' "$out/memory.lines" || rc=1

if [ "$rc" -eq 0 ]; then
	printf 'test %-24s ... ok\n' memory
else
	printf 'test %-24s ... FAILED\n' memory
fi
