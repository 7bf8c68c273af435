/*-------------------------------------------------------------------------
 *
 * pg_shim.c
 *		A stand-in for the parts of the PostgreSQL server that src/answers.c
 *		and src/input.c call, so that they can be fuzzed as they are, outside
 *		a server, under AddressSanitizer and UndefinedBehaviorSanitizer.
 *
 * The functions keep the server's contracts (sizes refused by palloc,
 * StringInfo's growth and trailing NUL, the case folding of
 * pg_strncasecmp, an ERROR that never returns) but not its machinery:
 * there is one "memory context", whose chunks are malloc'd one by one and
 * freed all at once by qes_shim_reset(), and an ERROR longjmps to the
 * innermost PG_TRY().  See pg_shim.h.
 *
 * fuzz/pg_shim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "pg_shim.h"

/* port.h sends these to PostgreSQL's own printf; here libc's will do */
#undef vsnprintf
#undef snprintf
#undef vsprintf
#undef sprintf
#undef vfprintf
#undef fprintf
#undef vprintf
#undef printf

/* The one memory context: every chunk handed out and not yet freed */
static void **chunks;
static size_t nchunks;
static size_t maxchunks;

static MemoryContextData the_context;
MemoryContext CurrentMemoryContext = &the_context;
MemoryContext TopMemoryContext = &the_context;
MemoryContext ErrorContext = &the_context;

/* Error state, as PG_TRY() and ereport() expect it */
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

static struct
{
	bool		active;			/* between errstart and errfinish */
	int			elevel;
	int			sqlerrcode;
	const char *filename;
	int			lineno;
	char	   *message;
	char	   *detail;
	char	   *hint;
}			err;

bool		qes_shim_stringinfo_text = false;

static int	last_sqlerrcode;
static char *last_message;
static char *last_detail;
static char *last_hint;

void
qes_shim_fail(const char *fmt,...)
{
	va_list		args;

	fflush(stdout);
	fprintf(stderr, "qes fuzz: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\n");
	abort();
}

/* ----------------------------------------------------------------
 * Memory
 * ----------------------------------------------------------------
 */

static void
remember(void *p)
{
	if (nchunks == maxchunks)
	{
		size_t		newmax = maxchunks ? maxchunks * 2 : 1024;
		void	  **grown = realloc(chunks, newmax * sizeof(void *));

		if (grown == NULL)
			qes_shim_fail("out of memory for the chunk list");
		chunks = grown;
		maxchunks = newmax;
	}
	chunks[nchunks++] = p;
}

/* Index of p among the live chunks; a pointer we never handed out aborts */
static size_t
find_chunk(void *p, const char *caller)
{
	for (size_t i = nchunks; i > 0; i--)
		if (chunks[i - 1] == p)
			return i - 1;
	qes_shim_fail("%s of a pointer that palloc did not hand out (or freed already): %p",
				  caller, p);
}

static void *
alloc_chunk(Size size, int flags)
{
	void	   *p;

	if ((flags & MCXT_ALLOC_HUGE) ? !AllocHugeSizeIsValid(size) :
		!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);

	p = (flags & MCXT_ALLOC_ZERO) ? calloc(1, size ? size : 1) :
		malloc(size ? size : 1);
	if (p == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	}
	remember(p);
	return p;
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return alloc_chunk(size, 0);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return alloc_chunk(size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return alloc_chunk(size, flags);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return alloc_chunk(size, MCXT_ALLOC_HUGE);
}

void *
palloc(Size size)
{
	return alloc_chunk(size, 0);
}

void *
palloc0(Size size)
{
	return alloc_chunk(size, MCXT_ALLOC_ZERO);
}

void *
palloc_extended(Size size, int flags)
{
	return alloc_chunk(size, flags);
}

static void *
realloc_chunk(void *pointer, Size size, int flags)
{
	size_t		i = find_chunk(pointer, "repalloc");
	void	   *p;

	if ((flags & MCXT_ALLOC_HUGE) ? !AllocHugeSizeIsValid(size) :
		!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	p = realloc(pointer, size ? size : 1);
	if (p == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	}
	chunks[i] = p;
	return p;
}

void *
repalloc(void *pointer, Size size)
{
	return realloc_chunk(pointer, size, 0);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return realloc_chunk(pointer, size, MCXT_ALLOC_HUGE);
}

void
pfree(void *pointer)
{
	size_t		i = find_chunk(pointer, "pfree");

	free(pointer);
	chunks[i] = chunks[--nchunks];
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	size_t		len = strlen(string) + 1;
	char	   *copy = alloc_chunk(len, 0);

	memcpy(copy, string, len);
	return copy;
}

char *
pstrdup(const char *in)
{
	return MemoryContextStrdup(CurrentMemoryContext, in);
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = alloc_chunk(len + 1, 0);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

void
qes_shim_reset(void)
{
	while (nchunks > 0)
		free(chunks[--nchunks]);
	last_sqlerrcode = 0;
	last_message = last_detail = last_hint = NULL;
	PG_exception_stack = NULL;
	error_context_stack = NULL;
	memset(&err, 0, sizeof(err));
}

/* ----------------------------------------------------------------
 * Formatting: libc's printf, with the server's size rules around it
 * ----------------------------------------------------------------
 */

int
pg_vsnprintf(char *str, size_t count, const char *fmt, va_list args)
{
	return vsnprintf(str, count, fmt, args);
}

int
pg_snprintf(char *str, size_t count, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vsnprintf(str, count, fmt, args);
	va_end(args);
	return n;
}

int
pg_vsprintf(char *str, const char *fmt, va_list args)
{
	return vsprintf(str, fmt, args);
}

int
pg_sprintf(char *str, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vsprintf(str, fmt, args);
	va_end(args);
	return n;
}

int
pg_vfprintf(FILE *stream, const char *fmt, va_list args)
{
	return vfprintf(stream, fmt, args);
}

int
pg_fprintf(FILE *stream, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vfprintf(stream, fmt, args);
	va_end(args);
	return n;
}

int
pg_printf(const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vprintf(fmt, args);
	va_end(args);
	return n;
}

/*
 * As the server's: the length printed when it fitted in len bytes, else
 * the buffer size that it needs.
 */
size_t
pvsnprintf(char *buf, size_t len, const char *fmt, va_list args)
{
	int			nprinted = vsnprintf(buf, len, fmt, args);

	if (nprinted < 0)
		elog(ERROR, "vsnprintf failed with format string \"%s\"", fmt);
	if ((size_t) nprinted < len)
		return (size_t) nprinted;
	if ((size_t) nprinted >= MaxAllocSize - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of memory")));
	return (size_t) nprinted + 1;
}

char *
psprintf(const char *fmt,...)
{
	size_t		len = 128;

	for (;;)
	{
		char	   *result = palloc(len);
		va_list		args;
		size_t		needed;

		va_start(args, fmt);
		needed = pvsnprintf(result, len, fmt, args);
		va_end(args);
		if (needed < len)
			return result;
		pfree(result);
		len = needed;
	}
}

/* ----------------------------------------------------------------
 * StringInfo, with the server's rules: 1024 bytes at first, doubling,
 * always a trailing NUL, "out of memory" past MaxAllocSize
 * ----------------------------------------------------------------
 */

StringInfo
makeStringInfo(void)
{
	StringInfo	str = palloc(sizeof(StringInfoData));

	initStringInfo(str);
	return str;
}

void
initStringInfo(StringInfo str)
{
	str->data = palloc(1024);
	str->maxlen = 1024;
	resetStringInfo(str);
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	int			newlen;

	if (needed < 0)
		elog(ERROR, "invalid string enlargement request size: %d", needed);
	if ((Size) needed >= MaxAllocSize - (Size) str->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of memory"),
				 errdetail("Cannot enlarge string buffer containing %d bytes by %d more bytes.",
						   str->len, needed)));
	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;
	newlen = 2 * str->maxlen;
	while (needed > newlen)
		newlen = 2 * newlen;
	if (newlen > (int) MaxAllocSize)
		newlen = (int) MaxAllocSize;
	str->data = repalloc(str->data, newlen);
	str->maxlen = newlen;
}

int
appendStringInfoVA(StringInfo str, const char *fmt, va_list args)
{
	int			avail = str->maxlen - str->len;
	size_t		nprinted;

	if (avail < 16)
		return 32;
	nprinted = pvsnprintf(str->data + str->len, (size_t) avail, fmt, args);
	if (nprinted < (size_t) avail)
	{
		str->len += (int) nprinted;
		return 0;
	}
	str->data[str->len] = '\0';
	return (int) nprinted;
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(str, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(str, needed);
	}
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	if (qes_shim_stringinfo_text && datalen > 0 &&
		memchr(data, '\0', datalen) != NULL)
		qes_shim_fail("a NUL byte was appended to text (appendBinaryStringInfo of %d bytes)",
					  datalen);
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendBinaryStringInfoNT(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	appendBinaryStringInfo(str, s, (int) strlen(s));
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	if (qes_shim_stringinfo_text && ch == '\0')
		qes_shim_fail("a NUL byte was appended to text (appendStringInfoChar)");
	if (str->len + 1 >= str->maxlen)
		enlargeStringInfo(str, 1);
	str->data[str->len] = ch;
	str->len++;
	str->data[str->len] = '\0';
}

void
appendStringInfoSpaces(StringInfo str, int count)
{
	if (count > 0)
	{
		enlargeStringInfo(str, count);
		memset(str->data + str->len, ' ', count);
		str->len += count;
		str->data[str->len] = '\0';
	}
}

/* ----------------------------------------------------------------
 * Case-insensitive comparison as the server does it: ASCII letters, and
 * high-bit letters by the C library's rules
 * ----------------------------------------------------------------
 */

static unsigned char
fold(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch + ('a' - 'A');
	if (IS_HIGHBIT_SET(ch) && isupper(ch))
		return (unsigned char) tolower(ch);
	return ch;
}

int
pg_strncasecmp(const char *s1, const char *s2, size_t n)
{
	while (n-- > 0)
	{
		unsigned char ch1 = (unsigned char) *s1++;
		unsigned char ch2 = (unsigned char) *s2++;

		if (ch1 != ch2)
		{
			ch1 = fold(ch1);
			ch2 = fold(ch2);
			if (ch1 != ch2)
				return (int) ch1 - (int) ch2;
		}
		if (ch1 == 0)
			break;
	}
	return 0;
}

int
pg_strcasecmp(const char *s1, const char *s2)
{
	return pg_strncasecmp(s1, s2, SIZE_MAX);
}

unsigned char
pg_tolower(unsigned char ch)
{
	return fold(ch);
}

unsigned char
pg_toupper(unsigned char ch)
{
	if (ch >= 'a' && ch <= 'z')
		return ch - ('a' - 'A');
	if (IS_HIGHBIT_SET(ch) && islower(ch))
		return (unsigned char) toupper(ch);
	return ch;
}

/*
 * The shim's database is in UTF-8, so text is already what Fourthline
 * takes and goes back unconverted, as the server's function does then.
 */
char *
pg_server_to_any(const char *s, int len, int encoding)
{
	if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII)
		qes_shim_fail("pg_server_to_any to encoding %d is not in the shim",
					  encoding);
	return unconstify(char *, s);
}

/*
 * The server's check of text in an encoding, for UTF-8 (the only one the
 * shim knows): no NUL, no overlong form, no surrogate, nothing past
 * U+10FFFF.  Returns the number of leading bytes that are valid.
 */
int
pg_encoding_verifymbstr(int encoding, const char *mbstr, int len)
{
	const unsigned char *s = (const unsigned char *) mbstr;
	int			done = 0;

	if (encoding != PG_UTF8)
		qes_shim_fail("pg_encoding_verifymbstr for encoding %d is not in the shim",
					  encoding);
	while (done < len)
	{
		const unsigned char *p = s + done;
		int			left = len - done;
		int			n;

		if (p[0] == 0)
			break;
		if (p[0] < 0x80)
			n = 1;
		else if (p[0] >= 0xc2 && p[0] <= 0xdf)
			n = left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
		else if (p[0] >= 0xe0 && p[0] <= 0xef)
			n = left >= 3 &&
				p[1] >= (p[0] == 0xe0 ? 0xa0 : 0x80) &&
				p[1] <= (p[0] == 0xed ? 0x9f : 0xbf) &&
				(p[2] & 0xc0) == 0x80 ? 3 : 0;
		else if (p[0] >= 0xf0 && p[0] <= 0xf4)
			n = left >= 4 &&
				p[1] >= (p[0] == 0xf0 ? 0x90 : 0x80) &&
				p[1] <= (p[0] == 0xf4 ? 0x8f : 0xbf) &&
				(p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
		else
			n = 0;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	int			valid = pg_encoding_verifymbstr(encoding, mbstr, len);

	if (valid == len)
		return true;
	if (noError)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"%s\": 0x%02x",
					"UTF8", (unsigned char) mbstr[valid])));
	return false;
}

/* ----------------------------------------------------------------
 * Errors
 * ----------------------------------------------------------------
 */

void
ExceptionalCondition(const char *conditionName, const char *errorType,
					 const char *fileName, int lineNumber)
{
	qes_shim_fail("%s(\"%s\", File: \"%s\", Line: %d)",
				  errorType ? errorType : "TRAP", conditionName,
				  fileName, lineNumber);
}

static bool
start_report(int elevel)
{
	if (err.active)
		qes_shim_fail("error raised while reporting an error (at %s:%d: %s)",
					  err.filename ? err.filename : "?", err.lineno,
					  err.message ? err.message : "");
	memset(&err, 0, sizeof(err));
	err.active = true;
	err.elevel = elevel;
	err.sqlerrcode = elevel >= ERROR ? ERRCODE_INTERNAL_ERROR :
		elevel == WARNING ? ERRCODE_WARNING : ERRCODE_SUCCESSFUL_COMPLETION;
	return true;
}

bool
errstart(int elevel, const char *domain)
{
	return start_report(elevel);
}

bool
errstart_cold(int elevel, const char *domain)
{
	return start_report(elevel);
}

/* Format one part of the report into the memory context */
static char *
format_part(const char *fmt, va_list args)
{
	size_t		len = 128;

	for (;;)
	{
		char	   *buf = palloc(len);
		va_list		copy;
		size_t		needed;

		va_copy(copy, args);
		needed = pvsnprintf(buf, len, fmt, copy);
		va_end(copy);
		if (needed < len)
			return buf;
		pfree(buf);
		len = needed;
	}
}

#define FORMAT_INTO(field) \
	do { \
		va_list		args; \
		va_start(args, fmt); \
		err.field = format_part(fmt, args); \
		va_end(args); \
	} while (0)

int
errcode(int sqlerrcode)
{
	err.sqlerrcode = sqlerrcode;
	return 0;
}

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(message);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(message);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(detail);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	FORMAT_INTO(detail);
	return 0;
}

int
errdetail_log(const char *fmt,...)
{
	FORMAT_INTO(detail);
	return 0;
}

int
errhint(const char *fmt,...)
{
	FORMAT_INTO(hint);
	return 0;
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
		qes_shim_fail("ERROR with no PG_TRY around it: %s (SQLSTATE %s)",
					  last_message ? last_message : "(no message)",
					  unpack_sql_state(last_sqlerrcode));
	siglongjmp(*PG_exception_stack, 1);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	err.active = false;
	err.filename = filename;
	err.lineno = lineno;
	if (err.elevel < ERROR)
		return;
	if (err.elevel > ERROR)
		qes_shim_fail("%s at %s:%d: %s",
					  err.elevel == FATAL ? "FATAL" : "PANIC",
					  filename, lineno, err.message ? err.message : "");

	last_sqlerrcode = err.sqlerrcode;
	last_message = err.message;
	last_detail = err.detail;
	last_hint = err.hint;
	if (PG_exception_stack == NULL)
		qes_shim_fail("ERROR with no PG_TRY around it, at %s:%d (%s): %s (SQLSTATE %s)",
					  filename, lineno, funcname ? funcname : "?",
					  err.message ? err.message : "(no message)",
					  unpack_sql_state(err.sqlerrcode));
	siglongjmp(*PG_exception_stack, 1);
}

/* The server's, for the SQLSTATE in a failure message */
char *
unpack_sql_state(int sql_state)
{
	static char buf[12];

	for (int i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sql_state);
		sql_state >>= 6;
	}
	buf[5] = '\0';
	return buf;
}

int
qes_shim_error_code(void)
{
	return last_sqlerrcode;
}

const char *
qes_shim_error_message(void)
{
	return last_message;
}

const char *
qes_shim_error_detail(void)
{
	return last_detail;
}

const char *
qes_shim_error_hint(void)
{
	return last_hint;
}

/*
 * What src/verify.c needs besides: the qes.trust_file setting (settings.c;
 * unset here, so no chain is judged) and utils/adt/timestamp.c's
 * conversion from time_t.
 */
char	   *qes_trust_file = NULL;

TimestampTz
time_t_to_timestamptz(pg_time_t tm)
{
	return (TimestampTz) (tm - 946684800) * 1000000;
}
