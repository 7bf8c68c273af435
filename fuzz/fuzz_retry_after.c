/*-------------------------------------------------------------------------
 *
 * fuzz_retry_after.c
 *		libFuzzer harness for qes_parse_retry_after (src/answers.c): the
 *		Retry-After header of a 429 or 503 answer, a number of seconds or an
 *		HTTP date.
 *
 * The input is the header's value, as src/http.c keeps it: a C string of
 * at most 63 bytes.  It is parsed against three clocks (the epoch, a
 * fixed day in 2025, and a day in 2100).  Checked beyond the sanitizers:
 * the result is -1 or 0 to 86400 seconds, and a plain number of seconds
 * gives that number, capped at a day.
 *
 * fuzz/fuzz_retry_after.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long clocks[] = {0, 1735689600L, 4102444800L};

/*
 * What a plain number of seconds must give, or -2 when value is not one.
 * More than 9 digits count as a day whatever their value, leading zeros
 * included: waiting longer than asked is safe.
 */
static long
expected_seconds(const char *value)
{
	long		n = 0;

	if (value[0] == '\0')
		return -1;
	if (strspn(value, "0123456789") == strlen(value) && strlen(value) > 9)
		return 86400;
	for (const char *p = value; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return -2;
		if (n <= 86400)
			n = n * 10 + (*p - '0');
	}
	return n > 86400 ? 86400 : n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *value = qf_cstring(0, data, size, 63);
	long		expected = expected_seconds(value);

	for (size_t i = 0; i < lengthof(clocks); i++)
	{
		int			seconds = qes_parse_retry_after(value, clocks[i]);

		if (!qf_properties())
			continue;
		QF_CHECK(seconds >= -1 && seconds <= 86400,
				 "qes_parse_retry_after gave %d seconds", seconds);
		QF_CHECK(expected == -2 || seconds == expected,
				 "qes_parse_retry_after gave %d for \"%s\", not %ld",
				 seconds, value, expected);
	}
	qes_shim_reset();
	return 0;
}
