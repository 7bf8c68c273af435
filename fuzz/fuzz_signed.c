/*-------------------------------------------------------------------------
 *
 * fuzz_signed.c
 *		libFuzzer harness for qes_parse_signed (src/answers.c): the answer
 *		to E7 (signed document) and E8 (contract), either a bare PDF or a
 *		multipart/mixed body with a text/plain and an application/pdf part.
 *
 * The first byte of the input chooses the Content-Type (its value mod 6):
 *
 *	0	multipart/mixed; boundary=qes-boundary-7f3a
 *	1	application/pdf
 *	2	none (an empty Content-Type, as src/http.c leaves it)
 *	3	application/octet-stream
 *	4	multipart/mixed; charset=utf-8; boundary="qes boundary"
 *	5	taken from the input: the bytes up to the first newline, trimmed and
 *		cut to 127 bytes as src/http.c stores the header
 *
 * and the rest is the body, as src/http.c hands it over: no trailing NUL,
 * and NULL when empty.  Checked beyond the sanitizers: an accepted PDF lies
 * inside the body, starts with %PDF-, and for a bare answer is the body.
 *
 * fuzz/fuzz_signed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
	"multipart/mixed; boundary=qes-boundary-7f3a",
	"application/pdf",
	"",
	"application/octet-stream",
	"multipart/mixed; charset=utf-8; boundary=\"qes boundary\"",
};

/* The Content-Type header's value as src/http.c keeps it */
static const char *
header_value(const uint8_t *line, size_t len)
{
	while (len > 0 && (*line == ' ' || *line == '\t'))
	{
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
					   line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return qf_cstring(1, line, len, 127);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *content_type = "";
	const uint8_t *rest = data;
	size_t		rest_len = size;
	char	   *body;
	char	   *pdf = NULL;
	size_t		pdf_len = 0;
	const char *reason;
	bool		multipart;

	if (size > 0)
	{
		int			choice = data[0] % 6;

		rest = data + 1;
		rest_len = size - 1;
		if (choice < 5)
			content_type = qf_cstring(1, content_types[choice],
									  strlen(content_types[choice]), 0);
		else
		{
			const uint8_t *nl = memchr(rest, '\n', rest_len);
			size_t		line_len = nl ? (size_t) (nl - rest) : rest_len;

			content_type = header_value(rest, line_len);
			rest += nl ? line_len + 1 : line_len;
			rest_len -= nl ? line_len + 1 : line_len;
		}
	}
	body = rest_len > 0 ? qf_bytes(0, rest, rest_len) : NULL;
	multipart = pg_strncasecmp(content_type, "multipart/", 10) == 0;

	reason = qes_parse_signed(content_type, body, rest_len, &pdf, &pdf_len);

	if (qf_properties())
	{
		if (reason == NULL)
		{
			QF_CHECK(body != NULL && pdf >= body && pdf_len >= 5 &&
					 pdf_len <= rest_len &&
					 (size_t) (pdf - body) <= rest_len - pdf_len,
					 "qes_parse_signed returned a PDF outside the body");
			QF_CHECK(memcmp(pdf, "%PDF-", 5) == 0,
					 "qes_parse_signed returned a PDF that does not start with %%PDF-");
			QF_CHECK(multipart || (pdf == body && pdf_len == rest_len),
					 "qes_parse_signed cut a bare PDF answer");
		}
		else
			QF_CHECK(reason[0] != '\0',
					 "qes_parse_signed gave an empty reason");
	}
	qes_shim_reset();
	return 0;
}
