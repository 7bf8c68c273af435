/*-------------------------------------------------------------------------
 *
 * sync.c
 *		The engine under the qes_sync procedure: the signature status of
 *		many workflows read side by side through libcurl's multi interface.
 *
 * qes_sync (in the SQL script) decides which workflows need a read and
 * stores what comes back; this file makes the reads.  At most "concurrency"
 * requests are in flight at once, over the backend's kept-alive connections,
 * and one workflow's failure never stops the batch: every workflow gets a
 * row, either with its status or with the SQLSTATE, message and detail of
 * what went wrong, and the seconds that a Retry-After asked for.
 *
 * src/sync.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "qes.h"

#define MAX_BATCH	100000

PG_FUNCTION_INFO_V1(qes_api_status_many);

enum
{
	COL_WORKFLOW_ID,
	COL_STATUS,
	COL_STATUS_CODE,
	COL_ERRORS,
	COL_SQLSTATE,
	COL_MESSAGE,
	COL_DETAIL,
	COL_RETRY_AFTER,
	NUM_COLS
};

/*
 * Fill the columns of a failed read.
 */
static void
failure_row(Datum *values, bool *nulls, int sqlerrcode, const char *message,
			const char *detail, int retry_after)
{
	values[COL_SQLSTATE] = CStringGetTextDatum(unpack_sql_state(sqlerrcode));
	values[COL_MESSAGE] = CStringGetTextDatum(message);
	nulls[COL_SQLSTATE] = nulls[COL_MESSAGE] = false;
	if (detail != NULL)
	{
		values[COL_DETAIL] = CStringGetTextDatum(detail);
		nulls[COL_DETAIL] = false;
	}
	if (retry_after >= 0)
	{
		values[COL_RETRY_AFTER] = Int32GetDatum(retry_after);
		nulls[COL_RETRY_AFTER] = false;
	}
}

/*
 * Fill the columns of one response: the status, or why there is none.
 */
static void
result_row(const QesHttpRequest *req, const QesHttpResponse *resp,
		   const char *workflow_id, Datum *values, bool *nulls)
{
	int			sqlerrcode;
	char	   *message;
	char	   *detail;
	char	   *hint;
	QesStatus	st;
	const char *reason;

	if (resp->curl_code != 0)
	{
		qes_http_describe_failure(req, resp, &sqlerrcode, &message, &detail,
								  &hint);
		failure_row(values, nulls, sqlerrcode, message, detail, -1);
		return;
	}
	if (resp->status < 200 || resp->status > 299)
	{
		qes_describe_answer(req, resp, &sqlerrcode, &message, &detail, &hint);
		failure_row(values, nulls, sqlerrcode, message, detail,
					qes_retry_after(resp));
		return;
	}

	reason = !qes_is_json_type(resp->content_type) ?
		"the Content-Type is not JSON" :
		qes_parse_status(QES_BODY(resp), resp->len, &st);
	if (reason == NULL && st.signature_id != NULL &&
		pg_strcasecmp(st.signature_id, workflow_id) != 0)
		reason = "the answer is about another signature";
	if (reason == NULL && st.errors != NULL &&
		(st.errors = qes_from_utf8(st.errors)) == NULL)
		reason = QES_ERRORS_NOT_STORABLE;
	if (reason != NULL)
	{
		failure_row(values, nulls, ERRCODE_QES_INVALID_ANSWER,
					psprintf("invalid answer from Fourthline to %s",
							 req->operation),
					reason, -1);
		return;
	}

	values[COL_STATUS] = CStringGetTextDatum(st.status);
	nulls[COL_STATUS] = false;
	if (st.has_status_code)
	{
		values[COL_STATUS_CODE] = Int32GetDatum(st.status_code);
		nulls[COL_STATUS_CODE] = false;
	}
	if (st.errors != NULL)
	{
		values[COL_ERRORS] = DirectFunctionCall1(jsonb_in,
												 CStringGetDatum(st.errors));
		nulls[COL_ERRORS] = false;
	}
}

/*
 * qes_api_status_many(workflows uuid[], concurrency integer)
 *	 RETURNS TABLE (workflow_id uuid, status text, status_code integer,
 *					errors jsonb, error_sqlstate text, error_message text,
 *					error_detail text, retry_after integer)
 *
 * Read the status of every workflow in the array, at most concurrency at
 * once.  Bad arguments raise an error; failed reads do not.
 */
Datum
qes_api_status_many(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *arr;
	Datum	   *ids;
	bool	   *idnulls;
	int			n;
	int			concurrency;
	char	  **workflow_ids;
	QesHttpRequest *reqs;
	QesHttpResponse *resps;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workflows and concurrency must not be null")));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	concurrency = PG_GETARG_INT32(1);
	if (concurrency < 1 || concurrency > 256)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("concurrency must be between 1 and 256")));
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("workflows must be a one-dimensional array")));
	deconstruct_array(arr, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR,
					  &ids, &idnulls, &n);
	if (n > MAX_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("at most %d workflows can be read in one batch",
						MAX_BATCH)));

	InitMaterializedSRF(fcinfo, 0);
	if (n == 0)
		PG_RETURN_VOID();

	workflow_ids = palloc(sizeof(char *) * n);
	reqs = palloc0(sizeof(QesHttpRequest) * n);
	resps = palloc0(sizeof(QesHttpResponse) * n);
	for (int i = 0; i < n; i++)
	{
		if (idnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("workflows must not contain nulls")));
		workflow_ids[i] = DatumGetCString(DirectFunctionCall1(uuid_out,
															  ids[i]));
		qes_prepare_status(&reqs[i], workflow_ids[i]);
	}

	qes_authorized_perform_many(reqs, resps, n, concurrency);

	for (int i = 0; i < n; i++)
	{
		Datum		values[NUM_COLS];
		bool		nulls[NUM_COLS];

		memset(nulls, true, sizeof(nulls));
		values[COL_WORKFLOW_ID] = ids[i];
		nulls[COL_WORKFLOW_ID] = false;
		result_row(&reqs[i], &resps[i], workflow_ids[i], values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if (resps[i].buffer != NULL)
			pfree(resps[i].buffer);
	}
	PG_RETURN_VOID();
}
