/*-------------------------------------------------------------------------
 *
 * fuzz_validation_code.c
 *		libFuzzer harness for qes_parse_validation_code (src/answers.c): the
 *		body of Fourthline's E5 answer, {"validationCode": "<8 characters>"}.
 *
 * The input is the whole body (no trailing NUL).  Checked beyond the
 * sanitizers: a code is accepted only as exactly 8 ASCII letters or digits.
 *
 * fuzz/fuzz_validation_code.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
alnum8(const char *s)
{
	if (s == NULL || strlen(s) != 8)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
			  (*s >= 'a' && *s <= 'z')))
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = qf_bytes(0, data, size);
	char	   *code = NULL;
	const char *reason;

	reason = qes_parse_validation_code(body, size, &code);

	if (qf_properties())
	{
		if (reason == NULL)
			QF_CHECK(alnum8(code),
					 "qes_parse_validation_code accepted a code that is not 8 letters or digits");
		else
			QF_CHECK(code == NULL && reason[0] != '\0',
					 "qes_parse_validation_code failed but set the code, or gave no reason");
	}
	qes_shim_reset();
	return 0;
}
