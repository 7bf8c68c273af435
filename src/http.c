/*-------------------------------------------------------------------------
 *
 * http.c
 *		The HTTP transport: libcurl requests that reuse one connection per
 *		backend, verify TLS always, cap what they read and give way to
 *		query cancel, statement_timeout and backend termination.
 *
 * All transfers run through one libcurl multi handle that lives as long as
 * the backend, so successive calls find the kept-alive connection of the
 * previous one, and a batch of status reads can run side by side.  The wait
 * loop never sleeps longer than POLL_MS before it checks for interrupts, so
 * a cancel lands within a few milliseconds; the transfers in flight are then
 * dropped in a PG_FINALLY block before PostgreSQL raises its own error.
 *
 * Nothing here knows Fourthline's endpoints: a request is a method, a URL,
 * some headers and a body, and a response is a status, a few headers and a
 * body.  The body is received into a buffer that keeps VARHDRSZ bytes in
 * front, so that a PDF can become a bytea without a copy.  libcurl calls our
 * callbacks from inside its own code, so they never raise an error: they
 * record what went wrong and make libcurl stop.
 *
 * src/http.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/ipc.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "qes.h"

/* longest wait before interrupts are checked again */
#define POLL_MS				10
#define MAX_CONCURRENCY		256
#define FIRST_BODY_SIZE		8192
/* most header bytes an answer may have (libcurl's own limit is per line) */
#define MAX_HEADER_BYTES	(64 * 1024)
#define USER_AGENT			"qes/0.1"

/* where a part's bytes are read from, for libcurl's mime API */
typedef struct PartCursor
{
	const QesHttpPart *part;
	size_t		offset;
} PartCursor;

/* one request in flight */
typedef struct Transfer
{
	const QesHttpRequest *req;
	QesHttpResponse *resp;
	CURL	   *easy;
	struct curl_slist *headers;
	curl_mime  *mime;
	PartCursor *cursors;
	MemoryContext cxt;			/* where the body buffer lives */
	size_t		request_size;	/* bytes of body we send */
	instr_time	start;
	char		errbuf[CURL_ERROR_SIZE];
} Transfer;

static CURLM *multi = NULL;
static CURL *idle_handles[MAX_CONCURRENCY];
static int	n_idle_handles = 0;

/*
 * Release libcurl's state when the backend exits.
 */
static void
http_shutdown(int code pg_attribute_unused(), Datum arg pg_attribute_unused())
{
	while (n_idle_handles > 0)
		curl_easy_cleanup(idle_handles[--n_idle_handles]);
	if (multi != NULL)
		curl_multi_cleanup(multi);
	multi = NULL;
	curl_global_cleanup();
}

/*
 * Set libcurl up on first use in this backend (not in the postmaster, so
 * that no TLS state is shared across fork).
 */
static void
http_init(void)
{
	if (multi != NULL)
		return;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not initialize libcurl")));
	multi = curl_multi_init();
	if (multi == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl multi handle")));
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 64L);
	on_proc_exit(http_shutdown, (Datum) 0);
}

/*
 * The configured base URL without its trailing slash, once it is known to
 * use a scheme we may speak.
 */
const char *
qes_http_base_url(void)
{
	char	   *url;
	size_t		len;

	if (qes_base_url == NULL || qes_base_url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qes.base_url is not set")));
	if (strncmp(qes_base_url, "https://", 8) != 0 && !qes_allow_http)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qes.base_url must use https"),
				 errhint("Plain HTTP is for a local test server only, and needs qes.allow_http.")));

	url = pstrdup(qes_base_url);
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	return url;
}

/*
 * Copy a header's value, without surrounding white space, into a fixed
 * buffer of the response.
 */
static void
copy_header_value(char *dst, size_t dstlen, const char *value, size_t len)
{
	while (len > 0 && (*value == ' ' || *value == '\t'))
	{
		value++;
		len--;
	}
	while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' ||
					   value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, value, len);
	dst[len] = '\0';
}

/*
 * libcurl's header callback: keep the few headers we act on, and stop the
 * transfer when the headers pass MAX_HEADER_BYTES.  A new status line
 * (after a 1xx answer) starts the set afresh.
 */
static size_t
read_header(char *line, size_t size, size_t nitems, void *arg)
{
	Transfer   *t = (Transfer *) arg;
	QesHttpResponse *resp = t->resp;
	size_t		len = size * nitems;
	static const struct
	{
		const char *name;
		size_t		offset;
		size_t		size;
	}			wanted[] = {
		{"content-type:", offsetof(QesHttpResponse, content_type),
		sizeof(((QesHttpResponse *) 0)->content_type)},
		{"retry-after:", offsetof(QesHttpResponse, retry_after),
		sizeof(((QesHttpResponse *) 0)->retry_after)},
		{"x-request-id:", offsetof(QesHttpResponse, request_id),
		sizeof(((QesHttpResponse *) 0)->request_id)},
	};

	resp->header_bytes += len;
	if (resp->header_bytes > MAX_HEADER_BYTES)
		return 0;
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
	{
		resp->content_type[0] = '\0';
		resp->retry_after[0] = '\0';
		resp->request_id[0] = '\0';
		return len;
	}
	for (size_t i = 0; i < lengthof(wanted); i++)
	{
		size_t		nlen = strlen(wanted[i].name);

		if (len > nlen && pg_strncasecmp(line, wanted[i].name, nlen) == 0)
			copy_header_value((char *) resp + wanted[i].offset, wanted[i].size,
							  line + nlen, len - nlen);
	}
	return len;
}

/*
 * libcurl's write callback: append to the body buffer, growing it by
 * doubling (or to the announced Content-Length at once), and stop the
 * transfer when the body passes the request's cap.
 */
static size_t
write_body(char *data, size_t size, size_t nmemb, void *arg)
{
	Transfer   *t = (Transfer *) arg;
	QesHttpResponse *resp = t->resp;
	size_t		n = size * nmemb;
	size_t		need = resp->len + n;

	if (need > t->req->max_body)
	{
		resp->over_cap = true;
		return 0;
	}
	if (need > resp->capacity)
	{
		curl_off_t	announced = -1;
		size_t		newcap = Max(resp->capacity * 2, FIRST_BODY_SIZE);
		char	   *grown;

		curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
						  &announced);
		if (resp->buffer == NULL && announced > 0 &&
			(size_t) announced <= t->req->max_body)
			newcap = Max(newcap, (size_t) announced);
		while (newcap < need)
			newcap *= 2;
		newcap = Min(newcap, t->req->max_body);

		grown = MemoryContextAllocExtended(t->cxt, VARHDRSZ + newcap,
										   MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		if (grown == NULL)
			return 0;
		if (resp->buffer != NULL)
		{
			memcpy(grown + VARHDRSZ, resp->buffer + VARHDRSZ, resp->len);
			pfree(resp->buffer);
		}
		resp->buffer = grown;
		resp->capacity = newcap;
	}
	memcpy(resp->buffer + VARHDRSZ + resp->len, data, n);
	resp->len = need;
	return n;
}

/* libcurl's read callback for one multipart part */
static size_t
read_part(char *buffer, size_t size, size_t nitems, void *arg)
{
	PartCursor *c = (PartCursor *) arg;
	size_t		n = Min(size * nitems, c->part->len - c->offset);

	memcpy(buffer, c->part->data + c->offset, n);
	c->offset += n;
	return n;
}

/* libcurl's seek callback for one multipart part, for a rewind */
static int
seek_part(void *arg, curl_off_t offset, int origin)
{
	PartCursor *c = (PartCursor *) arg;

	if (origin != SEEK_SET || offset < 0 || (size_t) offset > c->part->len)
		return CURL_SEEKFUNC_FAIL;
	c->offset = (size_t) offset;
	return CURL_SEEKFUNC_OK;
}

static void
check_curl(CURLcode rc, const char *what)
{
	if (rc != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not prepare a request to Fourthline"),
				 errdetail("libcurl failed to %s: %s.", what,
						   curl_easy_strerror(rc))));
}

static void
add_header(Transfer *t, const char *header)
{
	struct curl_slist *list = curl_slist_append(t->headers, header);

	if (list == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	t->headers = list;
}

/*
 * Build the multipart/form-data body with libcurl's mime API.  The bytes
 * are read straight from the caller's buffers through read_part, so a
 * 25 MiB document is not copied again.
 */
static void
build_form(Transfer *t)
{
	const QesHttpRequest *req = t->req;

	t->mime = curl_mime_init(t->easy);
	if (t->mime == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	t->cursors = palloc0(sizeof(PartCursor) * req->nparts);

	for (int i = 0; i < req->nparts; i++)
	{
		const QesHttpPart *p = &req->parts[i];
		curl_mimepart *part = curl_mime_addpart(t->mime);
		struct curl_slist *partheaders = NULL;

		if (part == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		t->cursors[i].part = p;
		check_curl(curl_mime_name(part, p->name), "name a form part");
		check_curl(curl_mime_type(part, p->content_type), "type a form part");
		check_curl(curl_mime_data_cb(part, (curl_off_t) p->len, read_part,
									 seek_part, NULL, &t->cursors[i]),
				   "attach a form part");
		if (p->disposition != NULL)
		{
			char	   *h = psprintf("Content-Disposition: %s", p->disposition);

			partheaders = curl_slist_append(NULL, h);
			if (partheaders == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory")));
			/* the part owns the list from here on */
			check_curl(curl_mime_headers(part, partheaders, 1),
					   "set a form part's headers");
		}
		t->request_size += p->len;
	}
	check_curl(curl_easy_setopt(t->easy, CURLOPT_MIMEPOST, t->mime),
			   "attach the form");
}

/*
 * Take an easy handle from the pool, or make one.
 */
static CURL *
take_handle(void)
{
	CURL	   *easy;

	if (n_idle_handles > 0)
		easy = idle_handles[--n_idle_handles];
	else
	{
		easy = curl_easy_init();
		if (easy == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));
	}
	curl_easy_reset(easy);
	return easy;
}

/*
 * Set every option of a request on its handle and hand it to the multi
 * handle.  Options are set afresh for each request, so that a changed
 * setting takes effect on the next call.
 */
static void
start_transfer(Transfer *t)
{
	const QesHttpRequest *req = t->req;
	CURL	   *easy;

	t->easy = easy = take_handle();
	t->errbuf[0] = '\0';
	INSTR_TIME_SET_CURRENT(t->start);

	check_curl(curl_easy_setopt(easy, CURLOPT_URL, req->url), "set the URL");
	check_curl(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR,
								qes_allow_http ? "http,https" : "https"),
			   "restrict the protocols");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (qes_ca_file != NULL && qes_ca_file[0] != '\0')
		check_curl(curl_easy_setopt(easy, CURLOPT_CAINFO, qes_ca_file),
				   "set the CA file");
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
					 (long) qes_connect_timeout);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) qes_request_timeout);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (req->fresh_connection)
	{
		/*
		 * A connection of its own, closed after the call.  Kept alive, each
		 * such call would leave one more idle TLS connection (a socket and
		 * some 30 kB of OpenSSL state) in the multi handle's cache, up to
		 * CURLMOPT_MAXCONNECTS of them per backend.
		 */
		curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
	}
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(easy, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
					 (curl_off_t) req->max_body);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, read_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);

	add_header(t, psprintf("Accept: %s", req->accept));
	add_header(t, "Expect:");
	if (req->no_cache)
		add_header(t, "Cache-Control: no-cache");
	if (req->bearer != NULL)
	{
		char	   *h = psprintf("Authorization: Bearer %s", req->bearer);

		add_header(t, h);
		explicit_bzero(h, strlen(h));
		pfree(h);
	}

	if (req->nparts > 0)
		build_form(t);
	else if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	else
	{
		/* an empty body goes without libcurl's default form Content-Type */
		add_header(t, req->content_type != NULL ?
				   psprintf("Content-Type: %s", req->content_type) :
				   "Content-Type:");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
						 (curl_off_t) req->body_len);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
						 req->body != NULL ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
		t->request_size = req->body_len;
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);

	if (curl_multi_add_handle(multi, easy) != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not start a request to Fourthline")));
}

/*
 * Detach a transfer from libcurl, whether it finished or not, and return
 * its handle to the pool.  An unfinished transfer's connection is closed.
 */
static void
release_transfer(Transfer *t)
{
	if (t->easy == NULL)
		return;
	curl_multi_remove_handle(multi, t->easy);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(t->easy, CURLOPT_MIMEPOST, NULL);
	if (t->mime != NULL)
		curl_mime_free(t->mime);
	t->mime = NULL;
	if (t->headers != NULL)
		curl_slist_free_all(t->headers);
	t->headers = NULL;
	if (n_idle_handles < MAX_CONCURRENCY)
		idle_handles[n_idle_handles++] = t->easy;
	else
		curl_easy_cleanup(t->easy);
	t->easy = NULL;
}

/*
 * Name the phase in which a failed transfer stopped, for the error detail.
 */
static const char *
failure_phase(Transfer *t, CURLcode rc)
{
	curl_off_t	connected = 0;
	curl_off_t	secured = 0;
	curl_off_t	started = 0;
	curl_off_t	sent = 0;
	long		local_port = 0;

	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
			return "DNS";
		case CURLE_COULDNT_CONNECT:
			return "connect";
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		case CURLE_SSL_INVALIDCERTSTATUS:
			return "TLS";
		case CURLE_SEND_ERROR:
			return "request";
		case CURLE_OPERATION_TIMEDOUT:
			break;
		default:
			return "response";
	}

	/*
	 * A timeout: the timers say how far the transfer got.  A reused
	 * connection reports no connect time, but it does report the start of
	 * the transfer.  While the TLS handshake is still going, libcurl 7.88
	 * reports no connect time either, but the socket has its local port
	 * once the TCP connection is up.
	 */
	curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connected);
	curl_easy_getinfo(t->easy, CURLINFO_APPCONNECT_TIME_T, &secured);
	curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &started);
	curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
	curl_easy_getinfo(t->easy, CURLINFO_LOCAL_PORT, &local_port);
	if (started == 0)
	{
		if ((connected != 0 || local_port != 0) && secured == 0 &&
			strncmp(t->req->url, "https:", 6) == 0)
			return "TLS";
		return "connect";
	}
	/*
	 * The bytes sent against the request's size (libcurl 7.88 starts its
	 * first-byte timer when an upload starts, so that timer cannot tell).
	 */
	if ((size_t) sent < t->request_size)
		return "request";
	return "response";
}

/*
 * Record the outcome of a finished transfer in its response.
 */
static void
finish_transfer(Transfer *t, CURLcode rc)
{
	QesHttpResponse *resp = t->resp;
	instr_time	elapsed;

	resp->curl_code = rc;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc != CURLE_OK)
	{
		resp->phase = failure_phase(t, rc);
		strlcpy(resp->error,
				t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc),
				sizeof(resp->error));
	}
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, t->start);
	resp->elapsed_ms = INSTR_TIME_GET_MILLISEC(elapsed);
	release_transfer(t);

	if (rc == CURLE_OK)
		elog(DEBUG1, "qes: %s %s: HTTP %ld in %.1f ms, %zu bytes",
			 t->req->method, t->req->path, resp->status, resp->elapsed_ms,
			 resp->len);
	else
		elog(DEBUG1, "qes: %s %s: failed in phase %s after %.1f ms",
			 t->req->method, t->req->path, resp->phase, resp->elapsed_ms);
}

/*
 * Perform n requests, at most concurrency of them at once, and fill in
 * their responses.  A request that fails on the network does not raise an
 * error here; its response says what went wrong.  Interrupts are checked
 * every POLL_MS milliseconds at the latest; a pending one drops all the
 * transfers and raises PostgreSQL's own error.
 */
void
qes_http_perform_many(const QesHttpRequest *reqs, QesHttpResponse *resps,
					  int n, int max_concurrency)
{
	Transfer   *transfers;
	volatile int next = 0;
	volatile int active = 0;
	volatile int done = 0;
	int			concurrency;

	http_init();
	concurrency = Max(1, Min(max_concurrency, MAX_CONCURRENCY));
	transfers = palloc0(sizeof(Transfer) * n);
	for (int i = 0; i < n; i++)
	{
		memset(&resps[i], 0, sizeof(QesHttpResponse));
		transfers[i].req = &reqs[i];
		transfers[i].resp = &resps[i];
		transfers[i].cxt = CurrentMemoryContext;
	}

	PG_TRY();
	{
		while (done < n)
		{
			int			running;
			int			left;
			CURLMsg    *msg;
			CURLMcode	mc;

			while (active < concurrency && next < n)
			{
				start_transfer(&transfers[next++]);
				active++;
			}

			mc = curl_multi_perform(multi, &running);
			if (mc != CURLM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("libcurl failed: %s",
								curl_multi_strerror(mc))));

			while ((msg = curl_multi_info_read(multi, &left)) != NULL)
			{
				Transfer   *t;

				if (msg->msg != CURLMSG_DONE)
					continue;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
				finish_transfer(t, msg->data.result);
				active--;
				done++;
			}
			if (done == n)
				break;

			CHECK_FOR_INTERRUPTS();
			if (active == concurrency || next == n)
			{
				pgstat_report_wait_start(PG_WAIT_EXTENSION);
				curl_multi_poll(multi, NULL, 0, POLL_MS, NULL);
				pgstat_report_wait_end();
			}
		}
	}
	PG_FINALLY();
	{
		for (int i = 0; i < n; i++)
			release_transfer(&transfers[i]);
	}
	PG_END_TRY();

	pfree(transfers);
}

/*
 * Perform one request; a network failure raises an error.
 */
void
qes_http_perform(const QesHttpRequest *req, QesHttpResponse *resp)
{
	qes_http_perform_many(req, resp, 1, 1);
	if (resp->curl_code != CURLE_OK)
		qes_http_raise_failure(req, resp);
}

/*
 * Describe a transfer that did not bring a whole answer: the SQLSTATE, the
 * primary message, the detail and a hint.  Used to raise the error and, by
 * the sync, to record the failure without raising.
 */
void
qes_http_describe_failure(const QesHttpRequest *req,
						  const QesHttpResponse *resp, int *sqlerrcode,
						  char **message, char **detail, char **hint)
{
	const char *phase = resp->phase ? resp->phase : "response";

	*hint = NULL;
	if (resp->over_cap || resp->curl_code == CURLE_FILESIZE_EXCEEDED)
	{
		*sqlerrcode = ERRCODE_QES_INVALID_ANSWER;
		*message = pstrdup("answer from Fourthline is too large");
		*detail = psprintf("Operation: %s. The body exceeded %zu bytes.",
						   req->operation, req->max_body);
	}
	else if (resp->header_bytes > MAX_HEADER_BYTES ||
			 (resp->curl_code == CURLE_OUT_OF_MEMORY && resp->status != 0))
	{
		/* libcurl answers a header line over 100 kB with "out of memory" */
		*sqlerrcode = ERRCODE_QES_INVALID_ANSWER;
		*message = pstrdup("answer from Fourthline is too large");
		*detail = psprintf("Operation: %s. Its headers exceeded %d bytes.",
						   req->operation, MAX_HEADER_BYTES);
	}
	else if (resp->curl_code == CURLE_OPERATION_TIMEDOUT)
	{
		bool		connecting = strcmp(phase, "request") != 0 &&
			strcmp(phase, "response") != 0 &&
			qes_connect_timeout < qes_request_timeout;

		*sqlerrcode = ERRCODE_QES_TIMEOUT;
		*message = pstrdup("Fourthline did not answer in time");
		*detail = psprintf("Operation: %s. Phase: %s. The limit of %d ms set by %s ran out.",
						   req->operation, phase,
						   connecting ? qes_connect_timeout :
						   qes_request_timeout,
						   connecting ? "qes.connect_timeout" : "qes.request_timeout");
	}
	else if (strcmp(phase, "DNS") == 0 || strcmp(phase, "connect") == 0 ||
			 strcmp(phase, "TLS") == 0)
	{
		*sqlerrcode = ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION;
		*message = pstrdup("could not connect to Fourthline");
		*detail = psprintf("Operation: %s. Phase: %s. %s.",
						   req->operation, phase, resp->error);
		*hint = strcmp(phase, "TLS") == 0 ?
			pstrdup("The server's certificate must verify against qes.ca_file "
					"(or the system's CA bundle) and name the host of qes.base_url.") :
			pstrdup("Check qes.base_url.");
	}
	else
	{
		*sqlerrcode = ERRCODE_CONNECTION_FAILURE;
		*message = pstrdup("connection to Fourthline failed");
		*detail = psprintf("Operation: %s. Phase: %s. %s.",
						   req->operation, phase, resp->error);
	}
}

/*
 * Raise the error for a transfer that did not bring a whole answer.
 */
void
qes_http_raise_failure(const QesHttpRequest *req, const QesHttpResponse *resp)
{
	int			sqlerrcode;
	char	   *message;
	char	   *detail;
	char	   *hint;

	qes_http_describe_failure(req, resp, &sqlerrcode, &message, &detail,
							  &hint);
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg_internal("%s", message),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}
