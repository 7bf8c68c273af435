/*-------------------------------------------------------------------------
 *
 * fuzz_verify.c
 *		libFuzzer harness for qes_verify_pdf (src/verify.c): the PDF and CMS
 *		parsing behind qes_verify_signed.
 *
 * The input is a 4-byte big-endian length L, then a signed PDF.  The
 * original is the signed file's first L bytes (mod its length), with one
 * byte changed when the length's top bit is set, so that both a matching
 * and a mismatching original are tried.  Checked beyond the sanitizers: a
 * verdict that holds needs every check to hold, and a verdict that fails
 * has a reason.  No trust file is set, so the chain is never judged and no
 * verdict holds; every other check runs.
 *
 * fuzz/fuzz_verify.c
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
	uint32		prefix;
	size_t		len;
	size_t		olen;
	const char *pdf;
	char	   *orig;
	QesVerdict	v;

	if (size < 5)
		return 0;
	prefix = (uint32) data[0] << 24 | (uint32) data[1] << 16 |
		(uint32) data[2] << 8 | data[3];
	len = size - 4;
	pdf = qf_bytes(0, data + 4, len);
	olen = (prefix & 0x7fffffff) % len;
	orig = palloc(olen + 1);
	memcpy(orig, pdf, olen);
	if ((prefix & 0x80000000) && olen > 0)
		orig[olen / 2] ^= 0x01;

	qes_verify_pdf(orig, olen, pdf, len, &v);

	if (qf_properties())
	{
		QF_CHECK(v.reason != NULL,
				 "a verdict held without a trust file");
		QF_CHECK(v.reason == NULL || v.reason[0] != '\0',
				 "qes_verify_pdf gave an empty reason");
		QF_CHECK(!v.signature_ok || v.byte_range_ok,
				 "a signature verified without a valid byte range");
	}
	qes_shim_reset();
	return 0;
}
