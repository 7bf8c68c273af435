#!/bin/bash
# dns-test.sh: a base URL whose host cannot be resolved fails with 08001 and
# "Phase: DNS." in the detail.  run-tests runs it in a throwaway cluster
# inside a network namespace of its own (unshare -n, with only loopback up),
# so the lookup's query cannot leave the machine.
set -u
psql -X -q -c "CREATE EXTENSION qes" || exit 1
out=$(psql -X -q -v ON_ERROR_STOP=0 2>&1 <<'SQL'
SET qes.base_url = 'https://qes-dns-test.invalid';
SELECT qes_api_status('00000000-0000-4000-8000-000000000001');
\echo SQLSTATE :SQLSTATE
SQL
)
echo "$out"
if echo "$out" | grep -q '^SQLSTATE 08001$' &&
	echo "$out" | grep -q 'Phase: DNS\. Could not resolve host'; then
	printf 'test %-24s ... ok\n' dns_phase
else
	printf 'test %-24s ... FAILED\n' dns_phase
fi
