/*-------------------------------------------------------------------------
 *
 * input.c
 *		Checks of what a caller hands us, made before anything is sent.
 *
 * Each check raises an error with a SQLSTATE of class 22 (data exception)
 * or 54 (limit exceeded), so that bad input never reaches Fourthline and
 * never leaves a row behind.  Messages name the problem but never repeat a
 * mobile number or document bytes.
 *
 * src/input.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "qes.h"

#define EXCERPT_MAX 160

#define IS_ASCII_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_ASCII_ALNUM(c) \
	(IS_ASCII_DIGIT(c) || ((c) >= 'a' && (c) <= 'z') || \
	 ((c) >= 'A' && (c) <= 'Z'))

/*
 * A document id is ours to choose and goes into a URL path and a form field
 * name, so it is held to 1 to 64 characters of [A-Za-z0-9._-].
 */
void
qes_check_document_id(const char *document_id)
{
	size_t		len = strlen(document_id);

	if (len == 0 || len > QES_MAX_DOCUMENT_ID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("document id must have 1 to %d characters",
						QES_MAX_DOCUMENT_ID)));

	for (const char *p = document_id; *p; p++)
	{
		if (!(IS_ASCII_ALNUM(*p) || *p == '.' || *p == '_' || *p == '-'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid document id \"%s\"",
							qes_excerpt(document_id, len)),
					 errdetail("A document id may hold only letters, digits, \".\", \"_\" and \"-\".")));
	}
	if (strcmp(document_id, ".") == 0 || strcmp(document_id, "..") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid document id \"%s\"", document_id)));
}

/*
 * Text from the database, in UTF-8 as Fourthline takes it, whatever the
 * database's encoding.
 */
char *
qes_to_utf8(const char *value)
{
	return pg_server_to_any(value, (int) strlen(value), PG_UTF8);
}

/*
 * A value that reaches a header or a JSON string (already in UTF-8) must
 * hold 1 to max bytes and no control characters: none of C0 (CR and LF
 * above all), DEL or C1, and none of the bidirectional overrides that make
 * a name read differently from what it is.
 */
void
qes_check_text(const char *what, const char *value, size_t max)
{
	size_t		len = strlen(value);
	const unsigned char *p = (const unsigned char *) value;

	if (len == 0 || len > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have 1 to %zu bytes", what, max)));

	for (; *p; p++)
	{
		bool		c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
		bool		bidi = p[0] == 0xe2 &&
			((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
			 (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9));

		if (*p < 0x20 || *p == 0x7f || c1 || bidi)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain control characters", what)));
	}
}

/*
 * A file name travels in the metadata JSON and, encoded, in the part's
 * Content-Disposition; quotes, slashes and non-ASCII letters are fine there,
 * control characters are not.
 */
void
qes_check_file_name(const char *file_name)
{
	qes_check_text("file name", file_name, QES_MAX_FILE_NAME);
}

/*
 * A document to sign must be a PDF of 1 byte to 25 MiB.  "Is a PDF" is
 * judged by the header that every PDF starts with; whether the rest is a
 * well-formed PDF is Fourthline's to judge.
 */
void
qes_check_pdf(const char *what, const char *data, size_t len)
{
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is empty", what)));
	if (len > QES_MAX_DOCUMENT_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s is too large", what),
				 errdetail("It has %zu bytes; the limit is %d bytes.",
						   len, QES_MAX_DOCUMENT_SIZE)));
	if (len < 5 || memcmp(data, "%PDF-", 5) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a PDF", what),
				 errdetail("A PDF starts with \"%%PDF-\".")));
}

/*
 * Skip one separator that people type inside phone numbers: white space
 * (including UTF-8 no-break, narrow no-break and figure spaces), dashes and
 * hyphens, dots, slashes and brackets.  Returns the number of bytes it
 * covers, or 0 when p is not at a separator.
 */
static int
separator_length(const unsigned char *p)
{
	if (*p == ' ' || *p == '\t' || *p == '-' || *p == '.' || *p == '/' ||
		*p == '(' || *p == ')' || *p == '[' || *p == ']')
		return 1;
	/* U+00A0 no-break space */
	if (p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	/* U+2007 figure space, U+2010..U+2015 hyphens and dashes */
	if (p[0] == 0xe2 && p[1] == 0x80 &&
		(p[2] == 0x87 || (p[2] >= 0x90 && p[2] <= 0x95)))
		return 3;
	/* U+202F narrow no-break space */
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xaf)
		return 3;
	return 0;
}

/*
 * Turn a mobile number as people type it into E.164: "+", a country code
 * and the subscriber number, 8 to 15 digits in all.  A leading "00" stands
 * for "+"; a "(0)" right after the country code (as in +44 (0)7700 900123)
 * is the national trunk prefix and is dropped, once.  A number without an
 * international prefix is refused: its country cannot be known.
 *
 * The messages never repeat the number.
 */
char *
qes_normalize_mobile(const char *input)
{
	const unsigned char *p = (const unsigned char *) input;
	char		digits[32];
	int			ndigits = 0;
	bool		international = false;
	bool		trunk_seen = false;

	while (*p && separator_length(p) > 0)
		p += separator_length(p);

	if (*p == '+')
	{
		international = true;
		p++;
	}
	else if (p[0] == '0' && p[1] == '0')
	{
		international = true;
		p += 2;
	}

	while (*p)
	{
		int			seplen;

		if (strncmp((const char *) p, "(0)", 3) == 0 && !trunk_seen &&
			ndigits >= 1 && ndigits <= 3)
		{
			trunk_seen = true;
			p += 3;
			continue;
		}
		if (IS_ASCII_DIGIT(*p))
		{
			if (ndigits < (int) sizeof(digits) - 1)
				digits[ndigits] = (char) *p;
			ndigits++;
			p++;
			continue;
		}
		seplen = separator_length(p);
		if (seplen == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("mobile number contains a character that is not a digit or a separator"),
					 errhint("Write the number in international form, for example +31 6 1234 5678.")));
		p += seplen;
	}

	if (!international)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mobile number has no country code"),
				 errhint("Start the number with + or 00 and the country code, for example +31 6 1234 5678.")));
	if (ndigits < 8 || ndigits > 15)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mobile number is not a valid E.164 number"),
				 errdetail("It has %d digits; E.164 allows 8 to 15, country code included.",
						   ndigits)));
	if (digits[0] == '0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mobile number is not a valid E.164 number"),
				 errdetail("A country code does not start with 0.")));

	digits[ndigits] = '\0';
	return psprintf("+%s", digits);
}

/*
 * Mask a mobile number for messages and views: the first three characters
 * ("+" and the country code's first digits) and the last two digits stay,
 * every other digit becomes an asterisk.  Only ASCII digits are touched, so
 * the result stays valid text whatever it is given.
 */
char *
qes_mask_mobile(const char *number)
{
	char	   *masked = pstrdup(number);
	int			keep_last = 2;

	for (int i = (int) strlen(masked) - 1; i >= 3; i--)
	{
		if (!IS_ASCII_DIGIT(masked[i]))
			continue;
		if (keep_last > 0)
			keep_last--;
		else
			masked[i] = '*';
	}
	return masked;
}

/*
 * A short, cleaned excerpt of a body for an error detail: printable ASCII
 * only, white space folded, anything that could be a phone number echoed
 * back masked (7 digits or more, whatever stands between them), cut at
 * EXCERPT_MAX characters.
 */
char *
qes_excerpt(const char *data, size_t len)
{
	StringInfoData buf;
	size_t		i = 0;

	initStringInfo(&buf);
	while (i < len && buf.len < EXCERPT_MAX)
	{
		unsigned char c = (unsigned char) data[i];

		if (IS_ASCII_DIGIT(c))
		{
			size_t		run = 0;
			size_t		ndigits = 0;
			size_t		end = 0;

			/*
			 * Digits with what people write between them: the usual
			 * separators, and any byte that is not printable ASCII (a
			 * no-break space, a tab, a NUL).
			 */
			while (i + run < len &&
				   (IS_ASCII_DIGIT(data[i + run]) ||
					(data[i + run] != '\0' &&
					 strchr(" -./()", data[i + run]) != NULL) ||
					(unsigned char) data[i + run] < 0x20 ||
					(unsigned char) data[i + run] >= 0x7f))
			{
				if (IS_ASCII_DIGIT(data[i + run]))
				{
					ndigits++;
					end = run + 1;
				}
				run++;
			}
			if (ndigits >= 7)
				appendStringInfo(&buf, "<%zu digits>", ndigits);
			else
			{
				for (size_t k = 0; k < end && buf.len < EXCERPT_MAX; k++)
				{
					unsigned char d = (unsigned char) data[i + k];

					if (d < 0x20 || d >= 0x7f)
						d = ' ';
					appendStringInfoChar(&buf, (char) d);
				}
			}
			i += end;
			continue;
		}
		if (c < 0x20 || c >= 0x7f)
			c = ' ';
		if (!(c == ' ' && (buf.len == 0 || buf.data[buf.len - 1] == ' ')))
			appendStringInfoChar(&buf, (char) c);
		i++;
	}
	while (buf.len > 0 && buf.data[buf.len - 1] == ' ')
		buf.data[--buf.len] = '\0';
	if (i < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}
