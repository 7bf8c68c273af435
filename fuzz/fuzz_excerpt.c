/*-------------------------------------------------------------------------
 *
 * fuzz_excerpt.c
 *		libFuzzer harness for qes_excerpt (src/input.c): the short, cleaned
 *		excerpt of an answer's body (or of a header) that goes into error
 *		details.
 *
 * The input is the bytes to excerpt (no trailing NUL).  Checked beyond the
 * sanitizers, as the function's comment promises ("printable ASCII only,
 * white space folded, anything that could be a phone number echoed back
 * masked (7 to 15 digits, with or without separators between them), cut
 * at EXCERPT_MAX characters"):
 *
 *	- no NUL byte is put into the excerpt (it would cut the C string);
 *	- every character is printable ASCII;
 *	- the excerpt is at most 160 characters, plus one mask ("<N digits>")
 *	  that starts before the cut, plus "...";
 *	- no run of 7 to 15 digits, with " -./()" between them, is left in the
 *	  excerpt: the style guide forbids a full phone number in a message.
 *
 * fuzz/fuzz_excerpt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXCERPT_MAX		160		/* as in src/input.c */
#define LONGEST_MASK	20		/* "<4294967295 digits>" */

#define IS_DIGIT(c)		((c) >= '0' && (c) <= '9')
#define IS_SEPARATOR(c) ((c) != '\0' && strchr(" -./()", (c)) != NULL)

/* A run of 7 to 15 digits (separators between them) in s, or NULL */
static const char *
unmasked_number(const char *s)
{
	const char *p = s;

	while (*p)
	{
		const char *q = p;
		int			ndigits = 0;

		if (!IS_DIGIT(*p))
		{
			p++;
			continue;
		}
		for (; IS_DIGIT(*q) || IS_SEPARATOR(*q); q++)
			ndigits += IS_DIGIT(*q);
		if (ndigits >= 7 && ndigits <= 15)
			return p;
		p = q;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *bytes = qf_bytes(0, data, size);
	char	   *excerpt;
	size_t		len;
	const char *number;

	qes_shim_stringinfo_text = qf_properties();
	excerpt = qes_excerpt(bytes, size);

	if (qf_properties())
	{
		len = strlen(excerpt);
		for (const char *p = excerpt; *p; p++)
			QF_CHECK(*p >= 0x20 && *p <= 0x7e,
					 "qes_excerpt kept a byte 0x%02x that is not printable ASCII",
					 (unsigned char) *p);
		QF_CHECK(len <= EXCERPT_MAX - 1 + LONGEST_MASK + 3,
				 "qes_excerpt made an excerpt of %zu characters from %zu bytes",
				 len, size);
		number = unmasked_number(excerpt);
		QF_CHECK(number == NULL,
				 "qes_excerpt left a phone-number-like run unmasked: \"%.40s\"",
				 number);
	}
	qes_shim_reset();
	return 0;
}
