/*-------------------------------------------------------------------------
 *
 * fuzz_error_code.c
 *		libFuzzer harness for qes_parse_error_code (src/answers.c): the body
 *		of an answer that is not a success, {"errors": [{"code": "...",
 *		"message": "...", "field": "..."}]}, or whatever a proxy sends
 *		instead (HTML, plain text, nothing).
 *
 * The input is the whole body (no trailing NUL).  Checked beyond the
 * sanitizers: the code, when there is one, is a cleaned excerpt (it goes
 * into an error detail): printable ASCII only, no NUL.
 *
 * fuzz/fuzz_error_code.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = qf_bytes(0, data, size);
	char	   *code;

	qes_shim_stringinfo_text = qf_properties();
	code = qes_parse_error_code(body, size);

	if (qf_properties() && code != NULL)
	{
		for (const char *p = code; *p; p++)
			QF_CHECK(*p >= 0x20 && *p <= 0x7e,
					 "qes_parse_error_code returned a byte 0x%02x that is not printable ASCII",
					 (unsigned char) *p);
	}
	qes_shim_reset();
	return 0;
}
