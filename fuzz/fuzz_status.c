/*-------------------------------------------------------------------------
 *
 * fuzz_status.c
 *		libFuzzer harness for qes_parse_status (src/answers.c): the body of
 *		Fourthline's E6 answer, {"signatureId": "<guid>", "status": "...",
 *		"statusCode": <int>, "errors": [...]}.
 *
 * The webhook (W1) carries the same fields; fuzz_webhook.c fuzzes its
 * parser, which is this one with a few more checks.
 *
 * The input is the whole body (no trailing NUL).  Checked beyond the
 * sanitizers, on an accepted answer: the status is 1 to 64 characters of
 * visible ASCII, signatureId is absent or a GUID, and errors is absent or
 * text that PostgreSQL's jsonb_in takes and that is valid UTF-8, since
 * src/functions.c and src/sync.c hand it to jsonb_in as it is (see
 * harness.c for the model of jsonb_in).  An answer that makes jsonb_in
 * raise turns a QF502 "invalid answer" into a JSON syntax error, and in
 * qes_api_status_many ends the whole batch instead of one row; invalid
 * UTF-8 is stored by jsonb_in unchecked and then breaks every conversion
 * of it, and the restore of a dump.
 *
 * fuzz/fuzz_status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"
#include "status_checks.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = qf_bytes(0, data, size);
	QesStatus	st;
	const char *reason;

	reason = qes_parse_status(body, size, &st);

	if (qf_properties())
	{
		if (reason == NULL)
			qf_check_status(&st, "qes_parse_status");
		else
			QF_CHECK(reason[0] != '\0',
					 "qes_parse_status gave an empty reason");
	}
	qes_shim_reset();
	return 0;
}
