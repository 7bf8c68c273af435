/*-------------------------------------------------------------------------
 *
 * answers.c
 *		Parsers of what Fourthline sends back: the JSON bodies of the token,
 *		workflow, validation code, status and error answers, the multipart
 *		answer that carries a signed PDF, and the Retry-After header.
 *
 * Everything here reads untrusted bytes.  A parser never raises an error:
 * it returns NULL on success or a short reason, which the caller turns into
 * an error with the right SQLSTATE.  Strings it returns are palloc'd copies;
 * json-c's objects are released before returning, on every path.
 *
 * src/answers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>
#include <time.h>
#include <json-c/json.h>

#include "mb/pg_wchar.h"

#include "qes.h"

#define MAX_TOKEN_LENGTH	8192
#define MAX_STATUS_LENGTH	64

/*
 * Parse a body that must be one JSON object, with nothing but white space
 * after it.  Returns NULL for anything else.
 */
static json_object *
parse_object(const char *body, size_t len)
{
	json_tokener *tok;
	json_object *obj;
	size_t		end;

	if (len == 0 || len > INT_MAX)
		return NULL;
	/* json-c lets overlong forms and surrogates through; PostgreSQL won't */
	if (!pg_verify_mbstr(PG_UTF8, body, (int) len, true))
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, body, (int) len);
	if (obj != NULL && json_tokener_get_error(tok) == json_tokener_success)
	{
		end = json_tokener_get_parse_end(tok);
		while (end < len && isspace((unsigned char) body[end]))
			end++;
		if (end != len || !json_object_is_type(obj, json_type_object))
		{
			json_object_put(obj);
			obj = NULL;
		}
	}
	else if (obj != NULL)
	{
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/*
 * Whether JSON text holds the escape \u0000, a NUL, which neither a C
 * string nor PostgreSQL's jsonb can hold.  An escaped backslash followed by
 * "u0000" is text, not a NUL.
 */
static bool
has_nul_escape(const char *text, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
	{
		if (text[i] != '\\')
			continue;
		if (text[i + 1] == 'u' && len - i >= 6 &&
			memcmp(text + i + 2, "0000", 4) == 0)
			return true;
		i++;					/* the escaped character */
	}
	return false;
}

/*
 * A member that must be a string, or NULL.  A string with a NUL inside
 * (JSON's \u0000) counts as no string: as a C string it would end early.
 */
static const char *
get_string(json_object *obj, const char *key)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t) json_object_get_string_len(v))
		return NULL;
	return s;
}

/* Is s a GUID in the 8-4-4-4-12 hex form? */
bool
qes_is_guid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (!isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/*
 * E1: {"access_token": "...", "token_type": "Bearer", "expires_in": 3600}.
 * The token goes into a header, so it must be visible ASCII.
 */
const char *
qes_parse_token(const char *body, size_t len, char **token, int *expires_in)
{
	json_object *obj = parse_object(body, len);
	json_object *v;
	const char *s;
	const char *reason = NULL;

	if (obj == NULL)
		return "the body is not a JSON object";

	s = get_string(obj, "access_token");
	*expires_in = 3600;
	if (s == NULL || s[0] == '\0' || strlen(s) > MAX_TOKEN_LENGTH)
		reason = "access_token is missing or not a usable string";
	else
	{
		for (const char *p = s; *p; p++)
			if (*p <= 0x20 || *p >= 0x7f)
				reason = "access_token holds characters that cannot go in a header";
	}
	if (reason == NULL && json_object_object_get_ex(obj, "expires_in", &v))
	{
		if (!json_object_is_type(v, json_type_int) ||
			json_object_get_int64(v) < 1 ||
			json_object_get_int64(v) > 7 * 24 * 3600)
			reason = "expires_in is not a number of seconds";
		else
			*expires_in = (int) json_object_get_int64(v);
	}
	if (reason == NULL)
	{
		const char *type = get_string(obj, "token_type");

		if (type != NULL && pg_strcasecmp(type, "bearer") != 0)
			reason = "token_type is not Bearer";
	}
	if (reason == NULL)
		*token = pstrdup(s);
	json_object_put(obj);
	return reason;
}

/*
 * E2: {"workflowId": "<guid>", "clientId": "<guid>"}.
 */
const char *
qes_parse_workflow(const char *body, size_t len, char **workflow_id,
				   char **client_id)
{
	json_object *obj = parse_object(body, len);
	const char *reason = NULL;

	if (obj == NULL)
		return "the body is not a JSON object";
	if (!qes_is_guid(get_string(obj, "workflowId")))
		reason = "workflowId is missing or not a GUID";
	else if (!qes_is_guid(get_string(obj, "clientId")))
		reason = "clientId is missing or not a GUID";
	else
	{
		*workflow_id = pstrdup(get_string(obj, "workflowId"));
		*client_id = pstrdup(get_string(obj, "clientId"));
	}
	json_object_put(obj);
	return reason;
}

/*
 * E5: {"validationCode": "<8 characters [A-Z0-9]>"}.
 */
const char *
qes_parse_validation_code(const char *body, size_t len, char **code)
{
	json_object *obj = parse_object(body, len);
	const char *s;
	const char *reason = NULL;

	if (obj == NULL)
		return "the body is not a JSON object";
	s = get_string(obj, "validationCode");
	if (s == NULL || strlen(s) != 8)
		reason = "validationCode is missing or not 8 characters long";
	else
	{
		for (const char *p = s; *p; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
				  (*p >= 'A' && *p <= 'Z')))
				reason = "validationCode holds a character that is not a letter or digit";
	}
	if (reason == NULL)
		*code = pstrdup(s);
	json_object_put(obj);
	return reason;
}

/*
 * Whether a number's text is plain JSON that PostgreSQL's numeric takes as
 * it is: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? with an exponent of
 * at most 1000 either way and at most 64 characters in all.
 */
static bool
plain_number(const char *s)
{
	const char *p = s;
	int			exponent = 0;

	if (strlen(s) > 64)
		return false;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p += strspn(p, "0123456789");
	else
		return false;
	if (*p == '.')
	{
		if (!isdigit((unsigned char) p[1]))
			return false;
		p++;
		p += strspn(p, "0123456789");
	}
	if (*p == 'e' || *p == 'E')
	{
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p) && exponent <= 1000)
			exponent = exponent * 10 + (*p++ - '0');
		if (exponent > 1000)
			return false;
	}
	return *p == '\0';
}

/*
 * Make the numbers of a JSON value fit for PostgreSQL's jsonb: json-c keeps
 * a double's text as it came, which is kept when it is plain JSON; other
 * forms (NaN, 1., 00.5, 1e131072) are printed afresh in json-c's own
 * format, and a double that is not finite is refused.
 */
static bool
normalize_numbers(json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_double:
			if (!isfinite(json_object_get_double(v)))
				return false;
			/* with its own serializer, json-c prints the text that came */
			if (!plain_number(json_object_to_json_string(v)))
				json_object_set_serializer(v, NULL, NULL, NULL);
			return true;
		case json_type_array:
			for (size_t i = 0; i < json_object_array_length(v); i++)
				if (!normalize_numbers(json_object_array_get_idx(v, i)))
					return false;
			return true;
		case json_type_object:
			{
				json_object_object_foreach(v, key, member)
				{
					(void) key;
					if (!normalize_numbers(member))
						return false;
				}
				return true;
			}
		default:
			return true;
	}
}

/*
 * E6 (and, through qes_parse_webhook, the webhook, which carries the
 * same fields):
 * {"signatureId": "<guid>", "status": "...", "statusCode": 0..6000,
 *	"errors": [...]}.  A status we do not know is kept as it came; it must
 * only be short, printable ASCII.
 */
const char *
qes_parse_status(const char *body, size_t len, QesStatus *status)
{
	json_object *obj = parse_object(body, len);
	json_object *v;
	const char *s;
	const char *reason = NULL;

	memset(status, 0, sizeof(QesStatus));
	if (obj == NULL)
		return "the body is not a JSON object";

	s = get_string(obj, "status");
	if (s == NULL || s[0] == '\0' || strlen(s) > MAX_STATUS_LENGTH)
		reason = "status is missing or not a short string";
	else
	{
		for (const char *p = s; *p; p++)
			if (*p < 0x21 || *p >= 0x7f)
				reason = "status holds characters that are not printable ASCII";
	}
	if (reason == NULL && json_object_object_get_ex(obj, "statusCode", &v) &&
		!json_object_is_type(v, json_type_null))
	{
		if (!json_object_is_type(v, json_type_int) ||
			json_object_get_int64(v) < INT_MIN ||
			json_object_get_int64(v) > INT_MAX)
			reason = "statusCode is not an integer";
		else
		{
			status->has_status_code = true;
			status->status_code = (int) json_object_get_int64(v);
		}
	}
	if (reason == NULL && json_object_object_get_ex(obj, "errors", &v) &&
		!json_object_is_type(v, json_type_null))
	{
		if (!json_object_is_type(v, json_type_array))
			reason = "errors is not an array";
		else if (!normalize_numbers(v))
			reason = "errors holds a number that is not finite";
		else
		{
			const char *text =
				json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);

			/* PostgreSQL's jsonb cannot hold a NUL character */
			if (has_nul_escape(text, strlen(text)))
				reason = "errors holds a NUL character";
			else
				status->errors = pstrdup(text);
		}
	}
	if (reason == NULL && json_object_object_get_ex(obj, "signatureId", &v))
	{
		if (!qes_is_guid(get_string(obj, "signatureId")))
			reason = "signatureId is not a GUID";
		else
			status->signature_id = pstrdup(get_string(obj, "signatureId"));
	}
	/* json-c cuts a member's name at a NUL: refuse one anywhere */
	if (reason == NULL && has_nul_escape(body, len))
		reason = "the answer holds a NUL character";
	if (reason == NULL)
		status->status = pstrdup(s);
	json_object_put(obj);
	return reason;
}

/*
 * The body of a success that needs no content (E3, E4: 204): nothing, white
 * space, or a JSON object; anything else (a proxy's page, even one labelled
 * JSON) is not Fourthline's word that the request was carried out.
 */
const char *
qes_parse_no_content(const char *body, size_t len)
{
	json_object *obj;
	size_t		start = 0;

	while (start < len && isspace((unsigned char) body[start]))
		start++;
	if (start == len)
		return NULL;
	obj = parse_object(body, len);
	if (obj == NULL)
		return "the body is neither empty nor a JSON object";
	json_object_put(obj);
	return NULL;
}

/*
 * A webhook (W1) body: the fields of E6, with signatureId required and
 * equal to the signature id of the URL it came to, and a statusCode, if
 * any, from 0 to 6000.  SIGNATURE_ID is a canonical GUID.
 */
const char *
qes_parse_webhook(const char *body, size_t len, const char *signature_id,
				  QesStatus *status)
{
	const char *reason = qes_parse_status(body, len, status);

	if (reason != NULL)
		return reason;
	if (status->signature_id == NULL)
		return "signatureId is missing";
	if (pg_strcasecmp(status->signature_id, signature_id) != 0)
		return "signatureId differs from the signature id of the URL";
	if (status->has_status_code &&
		(status->status_code < 0 || status->status_code > 6000))
		return "statusCode is not an integer from 0 to 6000";
	return NULL;
}

/*
 * The code of the first entry of an error body,
 * {"errors": [{"code": "...", "message": "...", "field": "..."}]}, or NULL.
 * A proxy may answer with HTML instead; that is simply no code.
 */
char *
qes_parse_error_code(const char *body, size_t len)
{
	json_object *obj = parse_object(body, len);
	json_object *errors;
	char	   *code = NULL;

	if (obj == NULL)
		return NULL;
	if (json_object_object_get_ex(obj, "errors", &errors) &&
		json_object_is_type(errors, json_type_array) &&
		json_object_array_length(errors) > 0)
	{
		json_object *first = json_object_array_get_idx(errors, 0);
		const char *s = json_object_is_type(first, json_type_object) ?
		get_string(first, "code") : NULL;

		if (s != NULL)
			code = qes_excerpt(s, strlen(s));
	}
	json_object_put(obj);
	return code;
}

/* Find needle in haystack, binary-safe */
static const char *
find_bytes(const char *hay, size_t haylen, const char *needle, size_t nlen)
{
	if (nlen == 0 || haylen < nlen)
		return NULL;
	for (size_t i = 0; i + nlen <= haylen; i++)
	{
		const char *p = memchr(hay + i, needle[0], haylen - nlen - i + 1);

		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
		i = p - hay;
	}
	return NULL;
}

/*
 * The boundary parameter of a multipart Content-Type, copied into buf
 * (at most 70 characters, RFC 2046).  Returns false when there is none.
 */
static bool
get_boundary(const char *content_type, char *buf, size_t buflen)
{
	const char *p = content_type;
	size_t		n = 0;

	while ((p = strchr(p, ';')) != NULL)
	{
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (pg_strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"')
		{
			p++;
			while (p[n] && p[n] != '"' && n < buflen - 1)
				n++;
		}
		else
			while (p[n] && p[n] != ';' && p[n] != ' ' && n < buflen - 1)
				n++;
		if (n == 0 || n > 70)
			return false;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return true;
	}
	return false;
}

/*
 * Does a block of part headers say Content-Type: application/pdf?
 */
static bool
part_is_pdf(const char *headers, size_t len)
{
	const char *name = "content-type:";
	size_t		nlen = strlen(name);
	size_t		i = 0;

	while (i < len)
	{
		const char *eol = memchr(headers + i, '\n', len - i);
		size_t		linelen = eol ? (size_t) (eol - headers - i) : len - i;

		if (linelen > nlen && pg_strncasecmp(headers + i, name, nlen) == 0)
		{
			const char *v = headers + i + nlen;
			size_t		vlen = linelen - nlen;

			while (vlen > 0 && (*v == ' ' || *v == '\t'))
			{
				v++;
				vlen--;
			}
			return vlen >= 15 && pg_strncasecmp(v, "application/pdf", 15) == 0;
		}
		i += linelen + 1;
	}
	return false;
}

/*
 * E7 and E8: the PDF, either as the whole body (application/pdf, or with no
 * or a generic Content-Type) or as the application/pdf part of a
 * multipart/mixed body whose other part is Fourthline's text message.  On
 * success *pdf points into body.
 */
const char *
qes_parse_signed(const char *content_type, char *body, size_t len,
				 char **pdf, size_t *pdf_len)
{
	char		boundary[80];
	char		delim[84];
	size_t		dlen;
	const char *p;
	const char *end;

	if (body == NULL)
		len = 0;
	if (pg_strncasecmp(content_type, "multipart/", 10) != 0)
	{
		if (content_type[0] != '\0' &&
			pg_strncasecmp(content_type, "application/pdf", 15) != 0 &&
			pg_strncasecmp(content_type, "application/octet-stream", 24) != 0)
			return "the answer is neither a PDF nor multipart";
		if (len < 5 || memcmp(body, "%PDF-", 5) != 0)
			return "the body is not a PDF";
		*pdf = body;
		*pdf_len = len;
		return NULL;
	}

	if (!get_boundary(content_type, boundary, sizeof(boundary)))
		return "the multipart answer has no usable boundary";
	if (body == NULL)
		return "the multipart answer has no complete application/pdf part";
	end = body + len;
	dlen = snprintf(delim, sizeof(delim), "--%s", boundary);

	p = find_bytes(body, len, delim, dlen);
	while (p != NULL)
	{
		const char *headers;
		const char *hend;
		const char *data;
		const char *next;

		p += dlen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;				/* closing delimiter */
		p = memchr(p, '\n', end - p);
		if (p == NULL)
			break;
		headers = p + 1;
		hend = find_bytes(headers, end - headers, "\r\n\r\n", 4);
		if (hend == NULL)
			break;
		data = hend + 4;
		next = find_bytes(data, end - data, delim, dlen);
		if (next == NULL)
			break;
		if (part_is_pdf(headers, hend - headers))
		{
			size_t		n = next - data;

			/* the CRLF before the delimiter belongs to the delimiter */
			if (n >= 2 && data[n - 2] == '\r' && data[n - 1] == '\n')
				n -= 2;
			else if (n >= 1 && data[n - 1] == '\n')
				n -= 1;
			if (n < 5 || memcmp(data, "%PDF-", 5) != 0)
				return "the application/pdf part is not a PDF";
			*pdf = (char *) data;
			*pdf_len = n;
			return NULL;
		}
		p = next;
	}
	return "the multipart answer has no complete application/pdf part";
}

/*
 * Whether a success answer's Content-Type allows reading its body as JSON:
 * application/json, a type ending in +json, or none at all.  A proxy's or
 * captive portal's page that comes with a 200 is not read as an answer.
 */
bool
qes_is_json_type(const char *content_type)
{
	size_t		len;
	const char *rest;

	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	len = strcspn(content_type, "; \t,");
	/* one media type, then nothing or its parameters: not a list */
	rest = content_type + len;
	rest += strspn(rest, " \t");
	if (*rest != '\0' && *rest != ';')
		return false;
	if (len == 0)
		return true;
	if (len == 16 && pg_strncasecmp(content_type, "application/json", 16) == 0)
		return true;
	return len > 5 && pg_strncasecmp(content_type + len - 5, "+json", 5) == 0 &&
		pg_strncasecmp(content_type, "application/", 12) == 0;
}

/*
 * Seconds to wait according to a Retry-After value: a number of seconds
 * or an HTTP date.  Returns -1 when the value is neither.
 */
int
qes_parse_retry_after(const char *value, long now)
{
	struct tm	tm;
	const char *rest;

	if (value == NULL || value[0] == '\0')
		return -1;
	if (strspn(value, "0123456789") == strlen(value))
	{
		if (strlen(value) > 9)
			return 86400;
		return Min(atoi(value), 86400);
	}

	memset(&tm, 0, sizeof(tm));
	rest = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (rest == NULL || *rest != '\0')
		return -1;
	{
		long		when = (long) timegm(&tm);

		if (when <= now)
			return 0;
		return (int) Min(when - now, 86400);
	}
}
