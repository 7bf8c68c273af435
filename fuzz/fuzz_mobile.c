/*-------------------------------------------------------------------------
 *
 * fuzz_mobile.c
 *		libFuzzer harness for qes_normalize_mobile (src/input.c): a mobile
 *		number as people type it, turned into E.164.
 *
 * The input is the number as a C string (what SQL text gives: no NUL
 * inside; the input is cut at its first NUL).  The function raises an
 * ERROR for a number it refuses; that is a normal outcome here, caught by
 * PG_TRY() as in the server.  Checked beyond the sanitizers:
 *
 *	- an ERROR has SQLSTATE 22023 (invalid_parameter_value) and a message;
 *	- an accepted number is "+" and 8 to 15 digits, the first not 0, and
 *	  the digits are those of the input (less a leading "00" and a "(0)"
 *	  trunk prefix).
 *
 * fuzz/fuzz_mobile.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_e164(const char *s)
{
	size_t		n = strlen(s);

	if (n < 9 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Is every digit of e164 (after "+") found in order among input's digits? */
static bool
digits_from(const char *e164, const char *input)
{
	const char *d = e164 + 1;

	for (const char *p = input; *p && *d; p++)
		if (*p == *d)
			d++;
	return *d == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *input = qf_cstring(0, data, size, 0);

	PG_TRY();
	{
		char	   *e164 = qes_normalize_mobile(input);

		if (qf_properties())
		{
			QF_CHECK(is_e164(e164),
					 "qes_normalize_mobile returned \"%s\", which is not E.164",
					 e164);
			QF_CHECK(digits_from(e164, input),
					 "qes_normalize_mobile returned digits that the input does not have");
		}
	}
	PG_CATCH();
	{
		if (qf_properties())
			QF_CHECK(qes_shim_error_code() == ERRCODE_INVALID_PARAMETER_VALUE &&
					 qes_shim_error_message() != NULL,
					 "qes_normalize_mobile raised SQLSTATE %s: %s",
					 unpack_sql_state(qes_shim_error_code()),
					 qes_shim_error_message() ? qes_shim_error_message() : "");
	}
	PG_END_TRY();
	qes_shim_reset();
	return 0;
}
