/*-------------------------------------------------------------------------
 *
 * endpoints.c
 *		The table of Fourthline's endpoints, and one function per call that
 *		builds the request's JSON or form, sends it and reads the answer.
 *
 * Part of the wire contract is confirmed by Fourthline's public guides and
 * part is our assumption (see README.md).  Every path, method and limit
 * lives in the table below, so that an account whose API answers
 * differently changes one table, not the program.
 *
 * A call that must not happen twice (a second workflow, a second SMS) goes
 * over a new connection, closed after it: on a kept-alive connection that
 * the server closed, libcurl would silently send the request again.
 *
 * Any 2xx answer counts as success.  Any other answer becomes an error whose
 * SQLSTATE says what kind of failure it was and whose detail names the HTTP
 * status, Fourthline's error code and a short cleaned excerpt of the body,
 * except for the answers that may hold a credential (the token and the
 * validation code), whose bodies are never quoted.
 *
 * src/endpoints.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>
#include <json-c/json.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "qes.h"

#define JSON_ANSWER_CAP		(1024 * 1024)
#define PDF_ANSWER_CAP		(QES_MAX_DOCUMENT_SIZE + 1024 * 1024)
#define NOT_JSON			"the Content-Type is not JSON"

typedef enum QesEndpointId
{
	E1_TOKEN,
	E2_CREATE_WORKFLOW,
	E3_UPLOAD_DOCUMENTS,
	E4_UPLOAD_MOBILE,
	E5_CREATE_SESSION,
	E6_STATUS,
	E7_SIGNED_DOCUMENT,
	E8_CONTRACT
} QesEndpointId;

typedef struct QesEndpoint
{
	const char *operation;		/* completes "could not ..." */
	const char *method;
	const char *path;			/* {id} and {document} are filled in */
	const char *accept;
	size_t		max_body;
	bool		secret_answer;	/* never quote the body */
	bool		not_idempotent; /* a repeat would duplicate something */
} QesEndpoint;

static const QesEndpoint endpoints[] = {
	[E1_TOKEN] = {"create an access token", "POST",
		"/v1/oauth2/token",
	"application/json", JSON_ANSWER_CAP, true},
	[E2_CREATE_WORKFLOW] = {"create the workflow", "POST",
		"/v1/workflows",
	"application/json", JSON_ANSWER_CAP, false, true},
	[E3_UPLOAD_DOCUMENTS] = {"upload the documents", "POST",
		"/v1/qualifiedElectronicSignature/{id}/documents",
	"application/json", JSON_ANSWER_CAP, false},
	[E4_UPLOAD_MOBILE] = {"upload the mobile number", "PUT",
		"/v1/qualifiedElectronicSignature/{id}/mobileNumber",
	"application/json", JSON_ANSWER_CAP, false, true},
	[E5_CREATE_SESSION] = {"create the SDK session", "POST",
		"/v1/workflows/{id}/validationcode",
	"application/json", JSON_ANSWER_CAP, true, true},
	[E6_STATUS] = {"get the signature status", "GET",
		"/v1/qualifiedElectronicSignature/{id}/status",
	"application/json", JSON_ANSWER_CAP, false},
	[E7_SIGNED_DOCUMENT] = {"get the signed document", "GET",
		"/v1/qualifiedElectronicSignature/{id}/documents/{document}",
	"multipart/mixed, application/pdf", PDF_ANSWER_CAP, false},
	[E8_CONTRACT] = {"get the InfoCert contract", "GET",
		"/v1/qualifiedElectronicSignature/{id}/contract",
	"application/pdf", PDF_ANSWER_CAP, false},
};

/*
 * Fill in a request from the endpoint table: the path with its ids, the URL
 * under the configured base URL, the method and the answer's cap.  The ids
 * were checked before (a GUID, a document id of [A-Za-z0-9._-]), so they
 * cannot change the path's shape.
 */
static void
prepare(QesHttpRequest *req, QesEndpointId e, const char *id,
		const char *document)
{
	const QesEndpoint *ep = &endpoints[e];
	StringInfoData path;

	initStringInfo(&path);
	for (const char *p = ep->path; *p; p++)
	{
		if (strncmp(p, "{id}", 4) == 0)
		{
			appendStringInfoString(&path, id);
			p += 3;
		}
		else if (strncmp(p, "{document}", 10) == 0)
		{
			appendStringInfoString(&path, document);
			p += 9;
		}
		else
			appendStringInfoChar(&path, *p);
	}

	memset(req, 0, sizeof(QesHttpRequest));
	req->operation = ep->operation;
	req->method = ep->method;
	req->path = path.data;
	req->url = psprintf("%s%s", qes_http_base_url(), path.data);
	req->accept = ep->accept;
	req->max_body = ep->max_body;
	req->fresh_connection = ep->not_idempotent;
}

static const QesEndpoint *
endpoint_of(const QesHttpRequest *req)
{
	for (size_t i = 0; i < lengthof(endpoints); i++)
		if (endpoints[i].operation == req->operation)
			return &endpoints[i];
	return NULL;
}

/* The SQLSTATE that an HTTP status stands for */
static int
sqlstate_of(long status)
{
	switch (status)
	{
		case 401:
			return ERRCODE_QES_AUTHENTICATION;
		case 403:
			return ERRCODE_QES_FORBIDDEN;
		case 404:
			return ERRCODE_QES_NOT_FOUND;
		case 409:
		case 422:
			return ERRCODE_QES_WRONG_STATE;
		case 429:
			return ERRCODE_QES_RATE_LIMITED;
	}
	if (status >= 500 && status <= 599)
		return ERRCODE_QES_SERVER_FAULT;
	if (status >= 400 && status <= 499)
		return ERRCODE_QES_REJECTED;
	return ERRCODE_QES_INVALID_ANSWER;
}

/* The value of a hex digit, or -1 */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* What JSON's two-character escape \c stands for, or NUL */
static char
simple_escape(char c)
{
	switch (c)
	{
		case '"':
		case '\\':
		case '/':
			return c;
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
	}
	return '\0';
}

/* The code unit of the \uXXXX escape at p (6 bytes available), or -1 */
static long
unicode_escape(const char *p)
{
	long		v = 0;

	if (p[0] != '\\' || p[1] != 'u')
		return -1;
	for (int k = 2; k < 6; k++)
	{
		if (hex_value(p[k]) < 0)
			return -1;
		v = v * 16 + hex_value(p[k]);
	}
	return v;
}

/*
 * DATA with JSON's escapes undone (\" \\ \/ \uXXXX and the like), so
 * that an echoed value is found however the answer escaped it.  A NUL and
 * a malformed escape stay as they were.
 */
static void
json_unescape(const char *data, size_t len, StringInfo out)
{
	size_t		i = 0;

	while (i < len)
	{
		long		cp = len - i >= 6 ? unicode_escape(data + i) : -1;

		if (cp >= 0xd800 && cp <= 0xdbff && len - i >= 12)
		{
			long		low = unicode_escape(data + i + 6);

			if (low >= 0xdc00 && low <= 0xdfff)
			{
				unsigned char utf8[4];

				cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				unicode_to_utf8((pg_wchar) cp, utf8);
				appendBinaryStringInfo(out, (char *) utf8, 4);
				i += 12;
				continue;
			}
		}
		if (cp > 0 && (cp < 0xd800 || cp > 0xdfff))
		{
			unsigned char utf8[4];

			unicode_to_utf8((pg_wchar) cp, utf8);
			appendBinaryStringInfo(out, (char *) utf8, pg_utf_mblen(utf8));
			i += 6;
		}
		else if (data[i] == '\\' && i + 1 < len &&
				 simple_escape(data[i + 1]) != '\0')
		{
			appendStringInfoChar(out, simple_escape(data[i + 1]));
			i += 2;
		}
		else
			appendStringInfoChar(out, data[i++]);
	}
}

/*
 * An excerpt of what Fourthline sent, with the request's client reference
 * (which an error message may echo, escaped or not) replaced, like a phone
 * number, by a placeholder.
 */
static char *
conceal(const QesHttpRequest *req, const char *raw, size_t rawlen)
{
	StringInfoData plain;
	StringInfoData buf;
	const char *data;
	size_t		len;
	size_t		clen;
	size_t		i = 0;

	if (req->conceal == NULL || req->conceal[0] == '\0')
		return qes_excerpt(raw, rawlen);
	initStringInfo(&plain);
	json_unescape(raw, rawlen, &plain);
	data = plain.data;
	len = plain.len;
	clen = strlen(req->conceal);
	initStringInfo(&buf);
	while (i < len)
	{
		if (len - i >= clen && memcmp(data + i, req->conceal, clen) == 0)
		{
			appendStringInfoString(&buf, "<client reference>");
			i += clen;
		}
		else
			appendStringInfoChar(&buf, data[i++]);
	}
	return qes_excerpt(buf.data, buf.len);
}

/*
 * Describe an answer that is not a success: the SQLSTATE, the primary
 * message and the detail.  Used both to raise an error and, by the sync,
 * to record a failure without raising.
 */
void
qes_describe_answer(const QesHttpRequest *req, const QesHttpResponse *resp,
					int *sqlerrcode, char **message, char **detail,
					char **hint)
{
	const QesEndpoint *ep = endpoint_of(req);
	StringInfoData buf;
	char	   *code = qes_parse_error_code(QES_BODY(resp), resp->len);

	if (code != NULL)
		code = conceal(req, code, strlen(code));

	*sqlerrcode = sqlstate_of(resp->status);
	if (resp->status >= 500)
		*message = psprintf("Fourthline failed to %s", req->operation);
	else if (resp->status >= 400)
		*message = psprintf("Fourthline refused to %s", req->operation);
	else
		*message = psprintf("unexpected answer from Fourthline to %s",
							req->operation);

	initStringInfo(&buf);
	appendStringInfo(&buf, "HTTP %ld", resp->status);
	if (resp->status >= 300 && resp->status < 400)
		appendStringInfoString(&buf, " (redirects are not followed)");
	appendStringInfoString(&buf, ".");
	if (code != NULL)
		appendStringInfo(&buf, " Fourthline error code: %s.", code);
	if (resp->retry_after[0] != '\0')
		appendStringInfo(&buf, " Retry-After: %s.",
						 qes_excerpt(resp->retry_after,
									 strlen(resp->retry_after)));
	if (ep != NULL && ep->secret_answer)
		appendStringInfoString(&buf, " Body withheld.");
	else if (resp->len > 0)
		appendStringInfo(&buf, " Body: %s",
						 conceal(req, QES_BODY(resp), resp->len));
	if (resp->request_id[0] != '\0')
		appendStringInfo(&buf, " Request id: %s.",
						 qes_excerpt(resp->request_id,
									 strlen(resp->request_id)));
	*detail = buf.data;

	*hint = NULL;
	if (qes_retry_after(resp) >= 0)
		*hint = psprintf("Retry after %d seconds.", qes_retry_after(resp));
	else if (*sqlerrcode == ERRCODE_QES_RATE_LIMITED)
		*hint = pstrdup("Try again later.");
	else if (*sqlerrcode == ERRCODE_QES_AUTHENTICATION && req->bearer == NULL &&
			 strcmp(req->path, endpoints[E1_TOKEN].path) == 0)
		*hint = pstrdup("Check qes.client_id and qes.client_secret.");
}

/*
 * Seconds that the answer's Retry-After asks us to wait, or -1.
 */
int
qes_retry_after(const QesHttpResponse *resp)
{
	return qes_parse_retry_after(resp->retry_after, (long) time(NULL));
}

/*
 * Raise the error for an answer that is not a success.
 */
void
qes_raise_answer(const QesHttpRequest *req, const QesHttpResponse *resp)
{
	int			sqlerrcode;
	char	   *message;
	char	   *detail;
	char	   *hint;

	qes_describe_answer(req, resp, &sqlerrcode, &message, &detail, &hint);
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg_internal("%s", message),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * Raise the error for a success status whose body we cannot use.
 */
static void
raise_invalid(const QesHttpRequest *req, const QesHttpResponse *resp,
			  const char *reason)
{
	const QesEndpoint *ep = endpoint_of(req);

	ereport(ERROR,
			(errcode(ERRCODE_QES_INVALID_ANSWER),
			 errmsg("invalid answer from Fourthline to %s", req->operation),
			 errdetail("HTTP %ld, Content-Type \"%s\": %s.%s%s",
					   resp->status,
					   qes_excerpt(resp->content_type,
								   strlen(resp->content_type)),
					   reason,
					   ep != NULL && !ep->secret_answer && resp->len > 0 ?
					   " Body: " : "",
					   ep != NULL && !ep->secret_answer && resp->len > 0 ?
					   conceal(req, QES_BODY(resp), resp->len) : "")));
}

static bool
is_success(const QesHttpResponse *resp)
{
	return resp->status >= 200 && resp->status <= 299;
}

/*
 * A success that should come without content (204): any 2xx will do, but
 * one whose body is not empty or a JSON object is a proxy's page, not
 * Fourthline's word that the request was carried out.
 */
static void
check_no_content(const QesHttpRequest *req, const QesHttpResponse *resp)
{
	const char *reason;

	if (resp->len == 0)
		return;
	reason = !qes_is_json_type(resp->content_type) ? NOT_JSON :
		qes_parse_no_content(QES_BODY(resp), resp->len);
	if (reason != NULL)
		raise_invalid(req, resp, reason);
}

/* Serialize a json-c object into a palloc'd string and release it */
static char *
json_to_text(json_object *obj)
{
	char	   *s;

	s = pstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));

	json_object_put(obj);
	return s;
}

/*
 * Send a JSON request with the access token, and raise an error for any
 * answer but a success.
 */
static void
call_json(QesHttpRequest *req, QesHttpResponse *resp, char *body)
{
	req->content_type = body != NULL ? "application/json" : NULL;
	req->body = body;
	req->body_len = body != NULL ? strlen(body) : 0;
	qes_authorized_perform(req, resp);
	if (!is_success(resp))
		qes_raise_answer(req, resp);
}

/*
 * E1: buy an access token with the client id and secret.
 */
void
qes_request_token(char **token, int *expires_in)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	json_object *obj;
	char	   *body;
	const char *reason;

	if (qes_client_id == NULL || qes_client_id[0] == '\0' ||
		qes_client_secret == NULL || qes_client_secret[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qes.client_id and qes.client_secret must be set"),
				 errhint("A superuser sets them, for example with ALTER SYSTEM.")));

	prepare(&req, E1_TOKEN, NULL, NULL);
	obj = json_object_new_object();
	json_object_object_add(obj, "grant_type",
						   json_object_new_string("client_credentials"));
	json_object_object_add(obj, "client_id",
						   json_object_new_string(qes_client_id));
	json_object_object_add(obj, "client_secret",
						   json_object_new_string(qes_client_secret));
	body = json_to_text(obj);

	req.content_type = "application/json";
	req.no_cache = true;
	req.body = body;
	req.body_len = strlen(body);
	PG_TRY();
	{
		qes_http_perform(&req, &resp);
	}
	PG_FINALLY();
	{
		explicit_bzero(body, strlen(body));
	}
	PG_END_TRY();

	if (!is_success(&resp))
		qes_raise_answer(&req, &resp);
	reason = !qes_is_json_type(resp.content_type) ? NOT_JSON :
		qes_parse_token(QES_BODY(&resp), resp.len, token, expires_in);
	explicit_bzero(QES_BODY(&resp), resp.len);
	if (reason != NULL)
		raise_invalid(&req, &resp, reason);
}

/*
 * E2: create a workflow for our client reference.
 */
void
qes_create_workflow(const char *partner_client_id, const char *workflow_name,
					char **workflow_id, char **client_id)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	json_object *obj;
	const char *reason;

	/* prepare first: it can raise, and json-c's memory is not palloc'd */
	prepare(&req, E2_CREATE_WORKFLOW, NULL, NULL);
	req.conceal = partner_client_id;
	obj = json_object_new_object();
	json_object_object_add(obj, "workflowName",
						   json_object_new_string(workflow_name));
	json_object_object_add(obj, "partnerClientId",
						   json_object_new_string(partner_client_id));
	call_json(&req, &resp, json_to_text(obj));

	reason = !qes_is_json_type(resp.content_type) ? NOT_JSON :
		qes_parse_workflow(QES_BODY(&resp), resp.len, workflow_id, client_id);
	if (reason != NULL)
		raise_invalid(&req, &resp, reason);
}

/*
 * Percent-encode a UTF-8 string for the filename* parameter (RFC 5987).
 */
static char *
rfc5987_encode(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			(*p >= 'A' && *p <= 'Z') || strchr("!#$&+-.^_`|~", *p) != NULL)
			appendStringInfoChar(&buf, (char) *p);
		else
			appendStringInfo(&buf, "%%%02X", *p);
	}
	return buf.data;
}

/*
 * The Content-Disposition of a document's part.  A plain name goes as
 * filename="..."; a name with quotes, backslashes, slashes or non-ASCII
 * characters goes as an ASCII stand-in plus the exact name in filename*.
 */
static char *
document_disposition(const QesDocument *doc)
{
	char	   *plain = pstrdup(doc->file_name);
	bool		exact = true;

	for (unsigned char *p = (unsigned char *) plain; *p; p++)
	{
		if (*p >= 0x7f || *p < 0x20 || *p == '"' || *p == '\\' || *p == '/' ||
			*p == '%' || *p == ';')
		{
			*p = '_';
			exact = false;
		}
	}
	if (exact)
		return psprintf("form-data; name=\"%s\"; filename=\"%s\"",
						doc->document_id, plain);
	return psprintf("form-data; name=\"%s\"; filename=\"%s\"; filename*=UTF-8''%s",
					doc->document_id, plain, rfc5987_encode(doc->file_name));
}

/*
 * E3: upload the documents to sign, as multipart/form-data: a metadata
 * part listing them, then one application/pdf part per document, named by
 * its document id.  The bytes go out exactly as given.
 */
void
qes_upload_documents(const char *workflow_id, const QesDocument *docs,
					 int ndocs)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	QesHttpPart *parts = palloc0(sizeof(QesHttpPart) * (ndocs + 1));
	json_object *meta;
	json_object *list;
	char	   *metadata;

	prepare(&req, E3_UPLOAD_DOCUMENTS, workflow_id, NULL);
	meta = json_object_new_object();
	list = json_object_new_array();
	for (int i = 0; i < ndocs; i++)
	{
		json_object *d = json_object_new_object();

		json_object_object_add(d, "documentId",
							   json_object_new_string(docs[i].document_id));
		json_object_object_add(d, "fileName",
							   json_object_new_string(docs[i].file_name));
		json_object_array_add(list, d);
	}
	json_object_object_add(meta, "documents", list);
	metadata = json_to_text(meta);

	parts[0].name = "metadata";
	parts[0].content_type = "application/json";
	parts[0].data = metadata;
	parts[0].len = strlen(metadata);
	for (int i = 0; i < ndocs; i++)
	{
		parts[i + 1].name = docs[i].document_id;
		parts[i + 1].disposition = document_disposition(&docs[i]);
		parts[i + 1].content_type = "application/pdf";
		parts[i + 1].data = docs[i].data;
		parts[i + 1].len = docs[i].len;
	}

	req.parts = parts;
	req.nparts = ndocs + 1;
	qes_authorized_perform(&req, &resp);
	if (!is_success(&resp))
		qes_raise_answer(&req, &resp);
	check_no_content(&req, &resp);
}

/*
 * E4: upload the signer's mobile number, already in E.164.
 */
void
qes_upload_mobile(const char *workflow_id, const char *e164)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	json_object *obj;

	prepare(&req, E4_UPLOAD_MOBILE, workflow_id, NULL);
	obj = json_object_new_object();
	json_object_object_add(obj, "mobileNumber", json_object_new_string(e164));
	call_json(&req, &resp, json_to_text(obj));
	check_no_content(&req, &resp);
}

/*
 * E5: create an SDK session; returns the validation code.
 */
char *
qes_create_session(const char *workflow_id)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	char	   *code = NULL;
	const char *reason;

	prepare(&req, E5_CREATE_SESSION, workflow_id, NULL);
	call_json(&req, &resp, NULL);
	reason = !qes_is_json_type(resp.content_type) ? NOT_JSON :
		qes_parse_validation_code(QES_BODY(&resp), resp.len, &code);
	if (reason != NULL)
		raise_invalid(&req, &resp, reason);
	return code;
}

/*
 * E6 request, for one read or for a batch of the sync.
 */
void
qes_prepare_status(QesHttpRequest *req, const char *workflow_id)
{
	prepare(req, E6_STATUS, workflow_id, NULL);
}

/*
 * E6: read the signature status.
 */
void
qes_read_status(const char *workflow_id, QesStatus *status)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	const char *reason;

	qes_prepare_status(&req, workflow_id);
	call_json(&req, &resp, NULL);
	reason = !qes_is_json_type(resp.content_type) ? NOT_JSON :
		qes_parse_status(QES_BODY(&resp), resp.len, status);
	if (reason == NULL && status->signature_id != NULL &&
		pg_strcasecmp(status->signature_id, workflow_id) != 0)
		reason = "the answer is about another signature";
	if (reason != NULL)
		raise_invalid(&req, &resp, reason);
}

/*
 * Turn the PDF inside a response buffer into a bytea in place: the buffer
 * keeps VARHDRSZ bytes in front of the body for this.
 */
static struct varlena *
pdf_to_bytea(QesHttpResponse *resp, char *pdf, size_t pdf_len)
{
	char	   *start = resp->buffer + VARHDRSZ;

	if (pdf != start)
		memmove(start, pdf, pdf_len);
	SET_VARSIZE(resp->buffer, VARHDRSZ + pdf_len);
	return (struct varlena *) resp->buffer;
}

/*
 * E7: download a signed document.
 */
struct varlena *
qes_signed_document(const char *workflow_id, const char *document_id)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	char	   *pdf;
	size_t		pdf_len;
	const char *reason;

	prepare(&req, E7_SIGNED_DOCUMENT, workflow_id, document_id);
	call_json(&req, &resp, NULL);
	reason = qes_parse_signed(resp.content_type,
							  resp.buffer ? QES_BODY(&resp) : NULL, resp.len,
							  &pdf, &pdf_len);
	if (reason != NULL)
		raise_invalid(&req, &resp, reason);
	return pdf_to_bytea(&resp, pdf, pdf_len);
}

/*
 * E8: download the InfoCert contract; NULL when the signing went to
 * Namirial, which Fourthline says with 204.  Any other success must carry a
 * PDF.
 */
struct varlena *
qes_contract(const char *workflow_id)
{
	QesHttpRequest req;
	QesHttpResponse resp;
	char	   *pdf;
	size_t		pdf_len;
	const char *reason;

	prepare(&req, E8_CONTRACT, workflow_id, NULL);
	call_json(&req, &resp, NULL);
	if (resp.status == 204)
		return NULL;
	reason = qes_parse_signed(resp.content_type,
							  resp.buffer ? QES_BODY(&resp) : NULL, resp.len,
							  &pdf, &pdf_len);
	if (reason != NULL)
		raise_invalid(&req, &resp, reason);
	return pdf_to_bytea(&resp, pdf, pdf_len);
}
