/*-------------------------------------------------------------------------
 *
 * harness.c
 *		Helpers shared by the fuzz harnesses: fenced copies of the input and
 *		the property checks that more than one harness makes.
 *
 * fuzz/harness.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sanitizer/asan_interface.h>

#include "harness.h"

/* Inputs longer than this (libFuzzer's -max_len is far below) get malloc */
#define FENCE_ROOM	(1024 * 1024)

typedef struct Fence
{
	char	   *base;			/* FENCE_ROOM readable bytes, then the guard */
	char	   *spill;			/* malloc'd copy of an input too long */
	char	   *open;			/* the bytes unpoisoned for the last copy */
	size_t		open_len;
} Fence;

static Fence fences[2];

static char *
fenced(int slot, const void *data, size_t len, bool terminate)
{
	Fence	   *f = &fences[slot];
	size_t		need = len + (terminate ? 1 : 0);
	char	   *copy;

	if (f->base == NULL)
	{
		long		page = sysconf(_SC_PAGESIZE);
		char	   *m = mmap(NULL, FENCE_ROOM + page, PROT_READ | PROT_WRITE,
							 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED || mprotect(m + FENCE_ROOM, page, PROT_NONE) != 0)
			qes_shim_fail("cannot set up a guard page");
		f->base = m;
		ASAN_POISON_MEMORY_REGION(m, FENCE_ROOM + page);
	}
	free(f->spill);
	f->spill = NULL;

	if (need > FENCE_ROOM)
	{
		copy = f->spill = malloc(need ? need : 1);
		if (copy == NULL)
			qes_shim_fail("out of memory for an input copy");
	}
	else
	{
		if (f->open != NULL)
			ASAN_POISON_MEMORY_REGION(f->open, f->open_len);
		copy = f->base + FENCE_ROOM - need;
		ASAN_UNPOISON_MEMORY_REGION(copy, need);
		f->open = copy;
		f->open_len = need;
	}
	if (len > 0)
		memcpy(copy, data, len);
	if (terminate)
		copy[len] = '\0';
	return copy;
}

char *
qf_bytes(int slot, const void *data, size_t len)
{
	return fenced(slot, data, len, false);
}

char *
qf_cstring(int slot, const void *data, size_t len, size_t max)
{
	const char *nul = memchr(data, '\0', len);

	if (nul != NULL)
		len = nul - (const char *) data;
	if (max > 0 && len > max)
		len = max;
	return fenced(slot, data, len, true);
}

bool
qf_properties(void)
{
	static int	on = -1;

	if (on < 0)
	{
		const char *v = getenv("QES_FUZZ_PROPERTIES");

		on = !(v != NULL && strcmp(v, "0") == 0);
	}
	return on;
}

bool
qf_visible_ascii(const char *s, size_t max)
{
	size_t		n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if ((unsigned char) *s < 0x21 || (unsigned char) *s > 0x7e)
			return false;
	return true;
}

bool
qf_guid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
	{
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/* ----------------------------------------------------------------
 * A model of what PostgreSQL 15's jsonb_in takes: the JSON grammar of
 * RFC 8259 as src/common/jsonapi.c applies it, \u0000 and unpaired
 * surrogates refused, valid UTF-8 (a UTF8 database must not store
 * anything else), and numbers within numeric's range (weight at most
 * 131071 decimal places, display scale at most 16383, an exponent below
 * INT_MAX / 2), all of which were checked against a PostgreSQL 15 server.
 * ----------------------------------------------------------------
 */

typedef struct JsonCursor
{
	const unsigned char *p;
	const char *why;
	int			depth;
} JsonCursor;

static bool json_value(JsonCursor *c);

static void
json_space(JsonCursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

static bool
json_fail(JsonCursor *c, const char *why)
{
	c->why = why;
	return false;
}

/* Length of the valid UTF-8 sequence at p (p[0] >= 0x80), or 0 */
static int
utf8_length(const unsigned char *p)
{
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef)
	{
		unsigned char lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = p[0] == 0xed ? 0x9f : 0xbf;

		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4)
	{
		unsigned char lo = p[0] == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = p[0] == 0xf4 ? 0x8f : 0xbf;

		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
			(p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static int
hex4(const unsigned char *p)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			c = p[i];

		if (!isxdigit(c))
			return -1;
		v = v * 16 + (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	return v;
}

static bool
json_string(JsonCursor *c)
{
	c->p++;						/* the opening quote */
	for (;;)
	{
		unsigned char ch = *c->p;

		if (ch == '"')
		{
			c->p++;
			return true;
		}
		if (ch == '\0')
			return json_fail(c, "a string does not end");
		if (ch < 0x20)
			return json_fail(c, "a string holds an unescaped control character");
		if (ch >= 0x80)
		{
			int			n = utf8_length(c->p);

			if (n == 0)
				return json_fail(c, "a string holds invalid UTF-8");
			c->p += n;
			continue;
		}
		if (ch != '\\')
		{
			c->p++;
			continue;
		}
		ch = c->p[1];
		if (ch != '\0' && strchr("\"\\/bfnrt", ch) != NULL)
		{
			c->p += 2;
			continue;
		}
		if (ch != 'u')
			return json_fail(c, "a string holds an invalid escape");
		{
			int			cp = hex4(c->p + 2);

			if (cp < 0)
				return json_fail(c, "a \\u escape is not four hex digits");
			if (cp == 0)
				return json_fail(c, "a string holds \\u0000, which jsonb refuses");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return json_fail(c, "a string holds an unpaired low surrogate");
			c->p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff)
			{
				int			lo = (c->p[0] == '\\' && c->p[1] == 'u') ?
				hex4(c->p + 2) : -1;

				if (lo < 0xdc00 || lo > 0xdfff)
					return json_fail(c, "a string holds an unpaired high surrogate");
				c->p += 6;
			}
		}
	}
}

static bool
json_number(JsonCursor *c)
{
	const unsigned char *ip;
	const unsigned char *fp = NULL;
	size_t		nint = 0;
	size_t		nfrac = 0;
	long		exponent = 0;
	/* decimal place of the first digit that is not 0 */
	long		first = LONG_MIN;

	if (*c->p == '-')
		c->p++;
	ip = c->p;
	if (*c->p == '0')
		c->p++;
	else if (*c->p >= '1' && *c->p <= '9')
		while (isdigit(*c->p))
			c->p++;
	else
		return json_fail(c, "a number has no digits");
	nint = c->p - ip;
	if (*c->p == '.')
	{
		c->p++;
		fp = c->p;
		while (isdigit(*c->p))
			c->p++;
		nfrac = c->p - fp;
		if (nfrac == 0)
			return json_fail(c, "a number has no digits after its point");
	}
	if (*c->p == 'e' || *c->p == 'E')
	{
		bool		negative = false;
		bool		any = false;

		c->p++;
		if (*c->p == '+' || *c->p == '-')
			negative = *c->p++ == '-';
		while (isdigit(*c->p))
		{
			if (exponent < INT_MAX)
				exponent = exponent * 10 + (*c->p - '0');
			c->p++;
			any = true;
		}
		if (!any)
			return json_fail(c, "a number has no digits in its exponent");
		if (negative)
			exponent = -exponent;
	}

	/* numeric_in's limits */
	if (exponent >= INT_MAX / 2 || exponent <= -(INT_MAX / 2))
		return json_fail(c, "a number's exponent overflows numeric");
	if ((long) nfrac - exponent > 16383)
		return json_fail(c, "a number has more than 16383 decimal places");
	for (size_t i = 0; i < nint && first == LONG_MIN; i++)
		if (ip[i] != '0')
			first = (long) (nint - 1 - i);
	for (size_t i = 0; i < nfrac && first == LONG_MIN; i++)
		if (fp[i] != '0')
			first = -(long) (i + 1);
	if (first != LONG_MIN && first + exponent > 131071)
		return json_fail(c, "a number is too large for numeric");
	return true;
}

static bool
json_word(JsonCursor *c, const char *word)
{
	size_t		n = strlen(word);

	if (strncmp((const char *) c->p, word, n) != 0 || isalnum(c->p[n]))
		return json_fail(c, "a token is not JSON (NaN, Infinity, ...)");
	c->p += n;
	return true;
}

static bool
json_members(JsonCursor *c, char close, bool object)
{
	c->p++;
	json_space(c);
	if (*c->p == close)
	{
		c->p++;
		return true;
	}
	for (;;)
	{
		if (object)
		{
			if (*c->p != '"')
				return json_fail(c, "an object key is not a string");
			if (!json_string(c))
				return false;
			json_space(c);
			if (*c->p != ':')
				return json_fail(c, "an object key has no colon");
			c->p++;
		}
		if (!json_value(c))
			return false;
		json_space(c);
		if (*c->p == close)
		{
			c->p++;
			return true;
		}
		if (*c->p != ',')
			return json_fail(c, "members are not separated by commas");
		c->p++;
		json_space(c);
	}
}

static bool
json_value(JsonCursor *c)
{
	bool		ok;

	json_space(c);
	if (++c->depth > 1000)
		return json_fail(c, "nested too deep");
	switch (*c->p)
	{
		case '{':
			ok = json_members(c, '}', true);
			break;
		case '[':
			ok = json_members(c, ']', false);
			break;
		case '"':
			ok = json_string(c);
			break;
		case 't':
			ok = json_word(c, "true");
			break;
		case 'f':
			ok = json_word(c, "false");
			break;
		case 'n':
			ok = json_word(c, "null");
			break;
		default:
			if (*c->p == '-' || isdigit(*c->p))
				ok = json_number(c);
			else
				ok = json_fail(c, "a token is not JSON (NaN, Infinity, ...)");
			break;
	}
	c->depth--;
	return ok;
}

bool
qf_jsonb_acceptable(const char *s, const char **why)
{
	JsonCursor	c = {(const unsigned char *) s, NULL, 0};

	if (!json_value(&c))
	{
		*why = c.why;
		return false;
	}
	json_space(&c);
	if (*c.p != '\0')
	{
		*why = "something follows the JSON value";
		return false;
	}
	return true;
}
