/*-------------------------------------------------------------------------
 *
 * qes.h
 *		Declarations shared by the layers of the qes extension.
 *
 * The extension is built in layers, one file each:
 *
 *	settings.c	 the qes.* configuration parameters
 *	input.c		 checks of what a caller passes in, before anything is sent
 *	http.c		 the HTTP transport (libcurl)
 *	token.c		 the access token cache and the single 401 replay
 *	endpoints.c	 the table of Fourthline endpoints and the calls made with it
 *	answers.c	 parsers of what Fourthline sends back (JSON and multipart)
 *	functions.c	 the SQL-callable C functions
 *	sync.c		 concurrent status reads for the sync procedure
 *	verify.c	 verification of a signed PDF against the uploaded one
 *
 * src/qes.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef QES_H
#define QES_H

#include "datatype/timestamp.h"
#include "utils/elog.h"

/*
 * SQLSTATEs of failures at or on the way to Fourthline.  Class QF is ours;
 * the last three characters echo the HTTP status they usually come from.
 * Network failures use PostgreSQL's own connection exception class 08, and
 * a query cancel or statement_timeout raises PostgreSQL's own 57014.
 */
#define ERRCODE_QES_REJECTED		MAKE_SQLSTATE('Q','F','4','0','0')
#define ERRCODE_QES_AUTHENTICATION	MAKE_SQLSTATE('Q','F','4','0','1')
#define ERRCODE_QES_FORBIDDEN		MAKE_SQLSTATE('Q','F','4','0','3')
#define ERRCODE_QES_NOT_FOUND		MAKE_SQLSTATE('Q','F','4','0','4')
#define ERRCODE_QES_TIMEOUT			MAKE_SQLSTATE('Q','F','4','0','8')
#define ERRCODE_QES_WRONG_STATE		MAKE_SQLSTATE('Q','F','4','0','9')
#define ERRCODE_QES_RATE_LIMITED	MAKE_SQLSTATE('Q','F','4','2','9')
#define ERRCODE_QES_SERVER_FAULT	MAKE_SQLSTATE('Q','F','5','0','0')
#define ERRCODE_QES_INVALID_ANSWER	MAKE_SQLSTATE('Q','F','5','0','2')

/* Limits of the wire contract */
#define QES_MAX_DOCUMENTS		10
#define QES_MAX_DOCUMENT_SIZE	(25 * 1024 * 1024)
#define QES_MAX_DOCUMENT_ID		64
#define QES_MAX_PARTNER_ID		255
#define QES_MAX_FILE_NAME		255

/* settings.c */
extern char *qes_base_url;
extern char *qes_client_id;
extern char *qes_client_secret;
extern char *qes_ca_file;
extern char *qes_trust_file;
extern char *qes_workflow_name;
extern int	qes_connect_timeout;
extern int	qes_request_timeout;
extern bool qes_allow_http;
extern int	qes_sync_concurrency;

/* input.c */
extern void qes_check_document_id(const char *document_id);
extern void qes_check_file_name(const char *file_name);
extern void qes_check_pdf(const char *what, const char *data, size_t len);
extern char *qes_to_utf8(const char *value);
extern void qes_check_text(const char *what, const char *value, size_t max);
extern char *qes_normalize_mobile(const char *input);
extern char *qes_mask_mobile(const char *e164);
extern char *qes_excerpt(const char *data, size_t len);

/* http.c */
typedef struct QesHttpPart
{
	const char *name;			/* form field name */
	const char *disposition;	/* whole Content-Disposition value, or NULL */
	const char *content_type;
	const char *data;
	size_t		len;
} QesHttpPart;

typedef struct QesHttpRequest
{
	const char *operation;		/* what the call does, for messages */
	const char *method;			/* GET, POST or PUT */
	const char *url;
	const char *path;			/* the URL's path, for log lines */
	const char *accept;
	const char *bearer;			/* access token, or NULL */
	bool		no_cache;		/* send Cache-Control: no-cache */
	bool		fresh_connection;	/* never on a reused connection */
	const char *content_type;	/* of body */
	const char *body;
	size_t		body_len;
	const QesHttpPart *parts;	/* multipart/form-data when nparts > 0 */
	int			nparts;
	size_t		max_body;		/* larger answers are refused */
	const char *conceal;		/* a client reference never to quote */
} QesHttpRequest;

typedef struct QesHttpResponse
{
	int			curl_code;		/* CURLE_OK when a whole answer came */
	const char *phase;			/* where a failed transfer stopped */
	char		error[256];		/* libcurl's words for a failed transfer */
	bool		over_cap;		/* body was larger than max_body */
	size_t		header_bytes;	/* bytes of headers received */
	long		status;			/* HTTP status */
	char		content_type[256];
	char		retry_after[64];
	char		request_id[80];
	char	   *buffer;			/* VARHDRSZ bytes, then the body */
	size_t		capacity;		/* bytes allocated after the header room */
	size_t		len;			/* bytes of body received */
	double		elapsed_ms;
} QesHttpResponse;

#define QES_BODY(resp)	((resp)->buffer ? (resp)->buffer + VARHDRSZ : "")

extern void qes_http_perform(const QesHttpRequest *req, QesHttpResponse *resp);
extern void qes_http_perform_many(const QesHttpRequest *reqs,
								  QesHttpResponse *resps, int n,
								  int concurrency);
extern void qes_http_describe_failure(const QesHttpRequest *req,
									  const QesHttpResponse *resp,
									  int *sqlerrcode, char **message,
									  char **detail, char **hint);
extern void qes_http_raise_failure(const QesHttpRequest *req,
								   const QesHttpResponse *resp)
			pg_attribute_noreturn();
extern const char *qes_http_base_url(void);

/* token.c */
extern const char *qes_token_get(void);
extern void qes_token_forget(const char *token);
extern void qes_authorized_perform(QesHttpRequest *req, QesHttpResponse *resp);
extern void qes_authorized_perform_many(QesHttpRequest *reqs,
										QesHttpResponse *resps, int n,
										int concurrency);

/* answers.c */
typedef struct QesStatus
{
	char	   *signature_id;	/* as the answer gave it, or NULL */
	char	   *status;
	bool		has_status_code;
	int			status_code;
	char	   *errors;			/* JSON array as text, or NULL */
} QesStatus;

extern const char *qes_parse_token(const char *body, size_t len,
								   char **token, int *expires_in);
extern const char *qes_parse_workflow(const char *body, size_t len,
									  char **workflow_id, char **client_id);
extern const char *qes_parse_validation_code(const char *body, size_t len,
											 char **code);
extern const char *qes_parse_status(const char *body, size_t len,
									QesStatus *status);
extern const char *qes_parse_no_content(const char *body, size_t len);
extern const char *qes_parse_webhook(const char *body, size_t len,
									 const char *signature_id,
									 QesStatus *status);
extern char *qes_parse_error_code(const char *body, size_t len);
extern const char *qes_parse_signed(const char *content_type, char *body,
									size_t len, char **pdf, size_t *pdf_len);
extern int	qes_parse_retry_after(const char *value, long now);
extern bool qes_is_json_type(const char *content_type);
extern bool qes_is_guid(const char *s);

/* endpoints.c */
typedef struct QesDocument
{
	const char *document_id;
	const char *file_name;
	const char *data;
	size_t		len;
} QesDocument;

extern void qes_request_token(char **token, int *expires_in);
extern void qes_create_workflow(const char *partner_client_id,
								const char *workflow_name,
								char **workflow_id, char **client_id);
extern void qes_upload_documents(const char *workflow_id,
								 const QesDocument *docs, int ndocs);
extern void qes_upload_mobile(const char *workflow_id, const char *e164);
extern char *qes_create_session(const char *workflow_id);
extern void qes_read_status(const char *workflow_id, QesStatus *status);
extern struct varlena *qes_signed_document(const char *workflow_id,
										   const char *document_id);
extern struct varlena *qes_contract(const char *workflow_id);
extern void qes_prepare_status(QesHttpRequest *req, const char *workflow_id);
extern void qes_raise_answer(const QesHttpRequest *req,
							 const QesHttpResponse *resp)
			pg_attribute_noreturn();
extern void qes_describe_answer(const QesHttpRequest *req,
								const QesHttpResponse *resp,
								int *sqlerrcode, char **message,
								char **detail, char **hint);
extern int	qes_retry_after(const QesHttpResponse *resp);

/* functions.c */
#define QES_ERRORS_NOT_STORABLE \
	"errors holds characters that the database's encoding cannot hold"
extern char *qes_from_utf8(const char *value);

/* verify.c */
typedef struct QesVerdict
{
	bool		starts_with_original;
	bool		update_only_signature;
	bool		byte_range_ok;
	bool		signature_ok;
	char	   *subject;
	char	   *issuer;
	char	   *serial;
	bool		has_validity;
	TimestampTz valid_from;
	TimestampTz valid_until;
	bool		has_signing_time;
	TimestampTz signing_time;
	int			chain_trusted;	/* 1, 0, or -1 without a trust file */
	const char *reason;			/* why the verdict fails, or NULL */
} QesVerdict;

extern void qes_verify_pdf(const char *orig, size_t olen, const char *pdf,
						   size_t len, QesVerdict *v);

#endif							/* QES_H */
