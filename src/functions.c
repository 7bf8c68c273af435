/*-------------------------------------------------------------------------
 *
 * functions.c
 *		The SQL-callable C functions: one per Fourthline call (qes_api_*),
 *		and the mobile number helpers.
 *
 * These functions check their arguments, make one call and return what
 * Fourthline answered; they touch no table.  The tracking functions of the
 * SQL script (qes_create_workflow, qes_status, ...) call them and keep the
 * tables true.  Every argument is checked before anything is sent: a NULL
 * where a value is needed, a malformed id, a document that is not a PDF or
 * a number that cannot be E.164 is refused with a SQLSTATE of class 22.
 *
 * src/functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/string.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "qes.h"

PG_FUNCTION_INFO_V1(qes_api_create_workflow);
PG_FUNCTION_INFO_V1(qes_api_upload_documents);
PG_FUNCTION_INFO_V1(qes_check_documents);
PG_FUNCTION_INFO_V1(qes_check_document);
PG_FUNCTION_INFO_V1(qes_api_upload_mobile_number);
PG_FUNCTION_INFO_V1(qes_api_create_sdk_session);
PG_FUNCTION_INFO_V1(qes_api_status);
PG_FUNCTION_INFO_V1(qes_api_signed_document);
PG_FUNCTION_INFO_V1(qes_api_contract);
PG_FUNCTION_INFO_V1(qes_check_webhook);
PG_FUNCTION_INFO_V1(qes_normalize_mobile_number);
PG_FUNCTION_INFO_V1(qes_mask_mobile_number);
PG_FUNCTION_INFO_V1(qes_verify_signed);

/*
 * Refuse a NULL argument with a message that names it.
 */
static void
require_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* The workflow id argument, as the canonical lower-case GUID text */
static char *
workflow_arg(FunctionCallInfo fcinfo, int n)
{
	require_arg(fcinfo, n, "workflow id");
	return DatumGetCString(DirectFunctionCall1(uuid_out, PG_GETARG_DATUM(n)));
}

/* A text argument that must be there */
static char *
text_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	require_arg(fcinfo, n, name);
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/*
 * JSON text in UTF-8, as Fourthline sends it, in the database's encoding
 * for jsonb_in (which takes its input as server-encoded text); NULL when a
 * character has no equivalent in that encoding.
 */
char *
qes_from_utf8(const char *value)
{
	int			encoding = GetDatabaseEncoding();
	size_t		len = strlen(value);
	char	   *out;
	Oid			proc;

	if (encoding == PG_UTF8 || encoding == PG_SQL_ASCII ||
		pg_is_ascii(value))
		return (char *) value;
	proc = FindDefaultConversionProc(PG_UTF8, encoding);
	if (!OidIsValid(proc) || len > MaxAllocSize / MAX_CONVERSION_GROWTH - 1)
		return NULL;
	out = palloc(len * MAX_CONVERSION_GROWTH + 1);
	if ((size_t) pg_do_encoding_conversion_buf(proc, PG_UTF8, encoding,
											   (unsigned char *) value, len,
											   (unsigned char *) out,
											   len * MAX_CONVERSION_GROWTH + 1,
											   true) != len)
		return NULL;
	return out;
}

/* A heap tuple from the given values, for a function returning a record */
static Datum
make_record(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * qes_api_create_workflow(partner_client_id text, workflow_name text,
 *						   OUT workflow_id uuid, OUT client_id uuid)
 */
Datum
qes_api_create_workflow(PG_FUNCTION_ARGS)
{
	char	   *partner = text_arg(fcinfo, 0, "client reference");
	char	   *name;
	char	   *workflow_id;
	char	   *client_id;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	name = PG_ARGISNULL(1) ? pstrdup(qes_workflow_name) :
		text_to_cstring(PG_GETARG_TEXT_PP(1));
	partner = qes_to_utf8(partner);
	name = qes_to_utf8(name);
	qes_check_text("client reference", partner, QES_MAX_PARTNER_ID);
	qes_check_text("workflow name", name, 255);

	qes_create_workflow(partner, name, &workflow_id, &client_id);

	values[0] = DirectFunctionCall1(uuid_in, CStringGetDatum(workflow_id));
	values[1] = DirectFunctionCall1(uuid_in, CStringGetDatum(client_id));
	PG_RETURN_DATUM(make_record(fcinfo, values, nulls));
}

/*
 * The elements of a one-dimensional array argument, none of them NULL.
 */
static int
array_arg(FunctionCallInfo fcinfo, int n, Oid elemtype, const char *name,
		  Datum **elems)
{
	ArrayType  *arr;
	bool	   *nulls;
	int			count;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	require_arg(fcinfo, n, name);
	arr = PG_GETARG_ARRAYTYPE_P(n);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign,
					  elems, &nulls, &count);
	for (int i = 0; i < count; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", name)));
	return count;
}

/*
 * The documents of arguments n (ids), n + 1 (contents) and n + 2 (file
 * names, NULL for <id>.pdf), checked: 1 to 10 of them, unique valid ids,
 * valid file names, each a PDF of 1 byte to 25 MiB.
 */
static QesDocument *
documents_arg(FunctionCallInfo fcinfo, int n, int *ndocs)
{
	Datum	   *ids;
	Datum	   *contents;
	Datum	   *names = NULL;
	int			nids;
	int			ncontents;
	QesDocument *docs;

	nids = array_arg(fcinfo, n, TEXTOID, "document ids", &ids);
	ncontents = array_arg(fcinfo, n + 1, BYTEAOID, "document contents",
						  &contents);
	if (nids == 0 || nids > QES_MAX_DOCUMENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a workflow takes 1 to %d documents, not %d",
						QES_MAX_DOCUMENTS, nids)));
	if (ncontents != nids)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%d document ids but %d document contents",
						nids, ncontents)));
	if (!PG_ARGISNULL(n + 2) &&
		array_arg(fcinfo, n + 2, TEXTOID, "file names", &names) != nids)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("file names must be as many as document ids")));

	docs = palloc0(sizeof(QesDocument) * nids);
	for (int i = 0; i < nids; i++)
	{
		bytea	   *content = DatumGetByteaPP(contents[i]);

		docs[i].document_id = TextDatumGetCString(ids[i]);
		qes_check_document_id(docs[i].document_id);
		for (int j = 0; j < i; j++)
			if (strcmp(docs[j].document_id, docs[i].document_id) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("document id \"%s\" is given twice",
								docs[i].document_id)));
		docs[i].file_name = names != NULL ?
			qes_to_utf8(TextDatumGetCString(names[i])) :
			psprintf("%s.pdf", docs[i].document_id);
		qes_check_file_name(docs[i].file_name);
		docs[i].data = VARDATA_ANY(content);
		docs[i].len = VARSIZE_ANY_EXHDR(content);
		qes_check_pdf(psprintf("document \"%s\"", docs[i].document_id),
					  docs[i].data, docs[i].len);
	}
	*ndocs = nids;
	return docs;
}

/*
 * qes_api_upload_documents(workflow uuid, document_ids text[],
 *							contents bytea[], file_names text[])
 *
 * All documents go in one call: an upload replaces the earlier set.  A
 * NULL file_names names each file after its document id.
 */
Datum
qes_api_upload_documents(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = workflow_arg(fcinfo, 0);
	int			ndocs;
	QesDocument *docs = documents_arg(fcinfo, 1, &ndocs);

	qes_upload_documents(workflow_id, docs, ndocs);
	PG_RETURN_VOID();
}

/*
 * qes_check_documents(document_ids text[], contents bytea[],
 *					   file_names text[])
 *
 * The checks of an upload, without the upload: for the queue, which stores
 * documents now and sends them later.
 */
Datum
qes_check_documents(PG_FUNCTION_ARGS)
{
	int			ndocs;

	(void) documents_arg(fcinfo, 0, &ndocs);
	PG_RETURN_VOID();
}

/*
 * qes_check_document(document_id text, content bytea, file_name text)
 *
 * The checks of one document, for the trigger on qes_document: the bytes
 * are read where they are, not copied into an array first.
 */
Datum
qes_check_document(PG_FUNCTION_ARGS)
{
	char	   *document_id = text_arg(fcinfo, 0, "document id");
	bytea	   *content;

	require_arg(fcinfo, 1, "document content");
	content = PG_GETARG_BYTEA_PP(1);
	qes_check_document_id(document_id);
	if (!PG_ARGISNULL(2))
		qes_check_file_name(qes_to_utf8(text_to_cstring(PG_GETARG_TEXT_PP(2))));
	qes_check_pdf(psprintf("document \"%s\"", document_id),
				  VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content));
	PG_RETURN_VOID();
}

/*
 * qes_api_upload_mobile_number(workflow uuid, mobile_number text)
 */
Datum
qes_api_upload_mobile_number(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = workflow_arg(fcinfo, 0);
	char	   *input = text_arg(fcinfo, 1, "mobile number");
	char	   *e164 = qes_normalize_mobile(qes_to_utf8(input));

	qes_upload_mobile(workflow_id, e164);
	PG_RETURN_VOID();
}

/*
 * qes_api_create_sdk_session(workflow uuid) returns the validation code
 */
Datum
qes_api_create_sdk_session(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = workflow_arg(fcinfo, 0);

	PG_RETURN_TEXT_P(cstring_to_text(qes_create_session(workflow_id)));
}

/*
 * qes_api_status(workflow uuid, OUT status text, OUT status_code integer,
 *				  OUT errors jsonb)
 */
Datum
qes_api_status(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = workflow_arg(fcinfo, 0);
	QesStatus	st;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	qes_read_status(workflow_id, &st);
	values[0] = CStringGetTextDatum(st.status);
	values[1] = Int32GetDatum(st.status_code);
	nulls[1] = !st.has_status_code;
	if (st.errors != NULL)
	{
		char	   *errors = qes_from_utf8(st.errors);

		if (errors == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_QES_INVALID_ANSWER),
					 errmsg("invalid answer from Fourthline to get the signature status"),
					 errdetail("%s.", QES_ERRORS_NOT_STORABLE)));
		values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(errors));
	}
	else
		nulls[2] = true;
	PG_RETURN_DATUM(make_record(fcinfo, values, nulls));
}

/*
 * qes_api_signed_document(workflow uuid, document_id text) returns bytea
 */
Datum
qes_api_signed_document(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = workflow_arg(fcinfo, 0);
	char	   *document_id = text_arg(fcinfo, 1, "document id");

	qes_check_document_id(document_id);
	PG_RETURN_BYTEA_P(qes_signed_document(workflow_id, document_id));
}

/*
 * qes_api_contract(workflow uuid) returns bytea, NULL when there is none
 */
Datum
qes_api_contract(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = workflow_arg(fcinfo, 0);
	struct varlena *pdf = qes_contract(workflow_id);

	if (pdf == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(pdf);
}

/*
 * qes_check_webhook(signature_id uuid, body jsonb): raise an error unless
 * the body is a Fourthline QES notification about that signature.  The
 * body comes from outside, like an answer of the API, and goes through the
 * same parser as the status answer.
 */
Datum
qes_check_webhook(PG_FUNCTION_ARGS)
{
	char	   *signature_id;
	Jsonb	   *body;
	char	   *text;
	QesStatus	st;
	const char *reason;

	require_arg(fcinfo, 0, "signature id");
	require_arg(fcinfo, 1, "webhook body");
	signature_id = DatumGetCString(DirectFunctionCall1(uuid_out,
													   PG_GETARG_DATUM(0)));
	body = PG_GETARG_JSONB_P(1);
	text = qes_to_utf8(JsonbToCString(NULL, &body->root, VARSIZE(body)));
	reason = qes_parse_webhook(text, strlen(text), signature_id, &st);
	if (reason != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("webhook body is not a Fourthline QES notification"),
				 errdetail("%s.", reason)));
	PG_RETURN_VOID();
}

/*
 * qes_normalize_mobile_number(text) returns the E.164 form of what people
 * type, or raises an error that does not repeat the number.
 */
Datum
qes_normalize_mobile_number(PG_FUNCTION_ARGS)
{
	char	   *input = qes_to_utf8(text_arg(fcinfo, 0, "mobile number"));

	PG_RETURN_TEXT_P(cstring_to_text(qes_normalize_mobile(input)));
}

/*
 * qes_mask_mobile_number(text) returns the number with all but its first
 * and last two digits hidden.
 */
Datum
qes_mask_mobile_number(PG_FUNCTION_ARGS)
{
	char	   *number;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	number = text_to_cstring(PG_GETARG_TEXT_PP(0));
	PG_RETURN_TEXT_P(cstring_to_text(qes_mask_mobile(number)));
}

/*
 * qes_verify_signed(original bytea, signed bytea) returns one row: what
 * each check of qes_verify_pdf found, the signer, and the verdict with its
 * reason.
 */
Datum
qes_verify_signed(PG_FUNCTION_ARGS)
{
	bytea	   *orig;
	bytea	   *pdf;
	QesVerdict	v;
	Datum		values[13];
	bool		nulls[13];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("original and signed document must not be null")));
	orig = PG_GETARG_BYTEA_PP(0);
	pdf = PG_GETARG_BYTEA_PP(1);
	qes_verify_pdf(VARDATA_ANY(orig), VARSIZE_ANY_EXHDR(orig),
				   VARDATA_ANY(pdf), VARSIZE_ANY_EXHDR(pdf), &v);

	memset(nulls, false, sizeof(nulls));
	values[0] = BoolGetDatum(v.starts_with_original);
	values[1] = BoolGetDatum(v.update_only_signature);
	values[2] = BoolGetDatum(v.byte_range_ok);
	values[3] = BoolGetDatum(v.signature_ok);
	values[4] = v.subject ? CStringGetTextDatum(v.subject) : (Datum) 0;
	nulls[4] = v.subject == NULL;
	values[5] = v.issuer ? CStringGetTextDatum(v.issuer) : (Datum) 0;
	nulls[5] = v.issuer == NULL;
	values[6] = v.serial ? CStringGetTextDatum(v.serial) : (Datum) 0;
	nulls[6] = v.serial == NULL;
	values[7] = TimestampTzGetDatum(v.valid_from);
	values[8] = TimestampTzGetDatum(v.valid_until);
	nulls[7] = nulls[8] = !v.has_validity;
	values[9] = TimestampTzGetDatum(v.signing_time);
	nulls[9] = !v.has_signing_time;
	values[10] = BoolGetDatum(v.chain_trusted == 1);
	nulls[10] = v.chain_trusted == -1;
	values[11] = BoolGetDatum(v.reason == NULL);
	values[12] = v.reason ? CStringGetTextDatum(v.reason) : (Datum) 0;
	nulls[12] = v.reason == NULL;
	PG_RETURN_DATUM(make_record(fcinfo, values, nulls));
}
