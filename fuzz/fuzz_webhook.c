/*-------------------------------------------------------------------------
 *
 * fuzz_webhook.c
 *		libFuzzer harness for qes_parse_webhook (src/answers.c): the body of
 *		a webhook (W1) that Fourthline POSTs to the application, which hands
 *		it to qes_webhook(signature_id, body).
 *
 * In the extension the body arrives as a jsonb and is printed back to
 * text before it is parsed; here any bytes are offered, a superset of what
 * jsonb prints.  The signature id of the URL is fixed.  Checked beyond the
 * sanitizers, on an accepted body: signatureId is that id (in any case),
 * the status is 1 to 64 characters of visible ASCII, a statusCode is 0 to
 * 6000, and errors is absent or text that jsonb_in takes (see harness.c).
 *
 * fuzz/fuzz_webhook.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"
#include "status_checks.h"

#define SIGNATURE_ID "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = qf_bytes(0, data, size);
	QesStatus	st;
	const char *reason;

	reason = qes_parse_webhook(body, size, SIGNATURE_ID, &st);

	if (qf_properties())
	{
		if (reason == NULL)
		{
			qf_check_status(&st, "qes_parse_webhook");
			QF_CHECK(st.signature_id != NULL &&
					 pg_strcasecmp(st.signature_id, SIGNATURE_ID) == 0,
					 "qes_parse_webhook accepted another signature's notification");
			QF_CHECK(!st.has_status_code ||
					 (st.status_code >= 0 && st.status_code <= 6000),
					 "qes_parse_webhook accepted statusCode %d",
					 st.status_code);
		}
		else
			QF_CHECK(reason[0] != '\0',
					 "qes_parse_webhook gave an empty reason");
	}
	qes_shim_reset();
	return 0;
}
