/*-------------------------------------------------------------------------
 *
 * status_checks.h
 *		The properties of an accepted status, shared by the harnesses of
 *		the E6 answer (fuzz_status.c) and of the webhook (fuzz_webhook.c),
 *		which go through the same parser.
 *
 * Include after qes.h and harness.h.
 *
 * fuzz/status_checks.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef QES_FUZZ_STATUS_CHECKS_H
#define QES_FUZZ_STATUS_CHECKS_H

/*
 * The status is 1 to 64 characters of visible ASCII, signatureId is absent
 * or a GUID, and errors is absent or text that jsonb_in takes (harness.c).
 */
static void
qf_check_status(const QesStatus *st, const char *parser)
{
	const char *why = NULL;

	QF_CHECK(st->status != NULL && qf_visible_ascii(st->status, 64),
			 "%s accepted a status that is not short visible ASCII", parser);
	QF_CHECK(st->signature_id == NULL || qf_guid(st->signature_id),
			 "%s accepted a signatureId that is not a GUID", parser);
	QF_CHECK(st->errors == NULL || qf_jsonb_acceptable(st->errors, &why),
			 "%s accepted errors that are not valid jsonb text (%s): %.200s",
			 parser, why, st->errors);
}

#endif							/* QES_FUZZ_STATUS_CHECKS_H */
