/*-------------------------------------------------------------------------
 *
 * fuzz_token.c
 *		libFuzzer harness for qes_parse_token (src/answers.c): the body of
 *		Fourthline's E1 answer, {"access_token": ..., "token_type": ...,
 *		"expires_in": ...}.
 *
 * The input is the whole body, as src/http.c hands it over: len bytes with
 * no trailing NUL.  Checked beyond the sanitizers: a token is accepted only
 * as 1 to 8192 characters of visible ASCII (it goes into a header) and
 * expires_in only as 1 second to 7 days.
 *
 * fuzz/fuzz_token.c
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
	char	   *token = NULL;
	int			expires_in = -1;
	const char *reason;

	reason = qes_parse_token(body, size, &token, &expires_in);

	if (qf_properties())
	{
		if (reason == NULL)
		{
			QF_CHECK(token != NULL && qf_visible_ascii(token, 8192),
					 "qes_parse_token accepted a token that cannot go in a header");
			QF_CHECK(expires_in >= 1 && expires_in <= 7 * 24 * 3600,
					 "qes_parse_token accepted expires_in %d", expires_in);
		}
		else
			QF_CHECK(token == NULL && reason[0] != '\0',
					 "qes_parse_token failed but set the token, or gave no reason");
	}
	qes_shim_reset();
	return 0;
}
