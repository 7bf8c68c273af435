/*-------------------------------------------------------------------------
 *
 * token.c
 *		The access token cache, and the single replay of a call that
 *		Fourthline answered with 401.
 *
 * An access token lives an hour.  Fourthline gives no warning before it
 * expires: a call with an expired or revoked token gets 401, and the remedy
 * is a new token.  So each backend keeps its token until shortly before the
 * expiry it was given, and a 401 on any call fetches one new token and
 * replays that call once, never more.
 *
 * The token belongs to the base URL, client id and secret it was bought
 * with; when any of them changes, the next call buys a new one.  The token
 * is never written to a message or a log line.
 *
 * src/token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "qes.h"

/* renew this long before expiry, or a tenth of the lifetime if shorter */
#define RENEW_MARGIN_SECS	60

static char *cached_token = NULL;
static TimestampTz cached_renew_at = 0;
static uint8 cached_owner[PG_SHA256_DIGEST_LENGTH];

/*
 * Digest of the settings a token belongs to, so that the cache can tell
 * when they change without keeping a copy of the secret.
 */
static void
owner_digest(uint8 *digest)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	const char *parts[3] = {qes_base_url, qes_client_id, qes_client_secret};

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not compute a SHA-256 digest");
	for (int i = 0; i < 3; i++)
	{
		const char *s = parts[i] ? parts[i] : "";

		if (pg_cryptohash_update(ctx, (const uint8 *) s, strlen(s) + 1) < 0)
			elog(ERROR, "could not compute a SHA-256 digest");
	}
	if (pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute a SHA-256 digest");
	pg_cryptohash_free(ctx);
}

/*
 * Forget the cached token.  With a token given, forget it only if it is
 * still the cached one: a replay that raced with another renewal keeps the
 * newer token.
 */
void
qes_token_forget(const char *token)
{
	if (cached_token == NULL)
		return;
	if (token != NULL && strcmp(token, cached_token) != 0)
		return;
	explicit_bzero(cached_token, strlen(cached_token));
	pfree(cached_token);
	cached_token = NULL;
}

/*
 * Return a valid access token, buying a new one when there is none, when it
 * is about to expire, or when the settings it belongs to have changed.
 */
const char *
qes_token_get(void)
{
	uint8		owner[PG_SHA256_DIGEST_LENGTH];
	char	   *token;
	int			expires_in;
	int			margin;

	owner_digest(owner);
	if (cached_token != NULL &&
		memcmp(owner, cached_owner, sizeof(owner)) == 0 &&
		GetCurrentTimestamp() < cached_renew_at)
		return cached_token;

	qes_token_forget(NULL);
	qes_request_token(&token, &expires_in);

	margin = Min(RENEW_MARGIN_SECS, expires_in / 10);
	cached_token = MemoryContextStrdup(TopMemoryContext, token);
	explicit_bzero(token, strlen(token));
	cached_renew_at =
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
									(int64) (expires_in - margin) * 1000);
	memcpy(cached_owner, owner, sizeof(owner));
	return cached_token;
}

/*
 * Perform a request with the access token.  When Fourthline answers 401,
 * buy one new token and replay the request once.  Network failures raise
 * an error; HTTP errors are left to the caller.
 */
void
qes_authorized_perform(QesHttpRequest *req, QesHttpResponse *resp)
{
	qes_authorized_perform_many(req, resp, 1, 1);
	if (resp->curl_code != 0)
		qes_http_raise_failure(req, resp);
}

/*
 * The same for a batch: every request that got 401 is replayed once, all
 * with the one new token.  Network failures stay in their responses.
 */
void
qes_authorized_perform_many(QesHttpRequest *reqs, QesHttpResponse *resps,
							int n, int concurrency)
{
	const char *token = qes_token_get();
	int		   *again;
	int			nagain = 0;

	for (int i = 0; i < n; i++)
		reqs[i].bearer = token;
	qes_http_perform_many(reqs, resps, n, concurrency);

	again = palloc(sizeof(int) * n);
	for (int i = 0; i < n; i++)
		if (resps[i].curl_code == 0 && resps[i].status == 401)
			again[nagain++] = i;

	if (nagain > 0)
	{
		QesHttpRequest *retry_reqs = palloc(sizeof(QesHttpRequest) * nagain);
		QesHttpResponse *retry_resps = palloc(sizeof(QesHttpResponse) * nagain);

		qes_token_forget(token);
		token = qes_token_get();
		for (int i = 0; i < nagain; i++)
		{
			retry_reqs[i] = reqs[again[i]];
			retry_reqs[i].bearer = token;
		}
		qes_http_perform_many(retry_reqs, retry_resps, nagain, concurrency);
		for (int i = 0; i < nagain; i++)
		{
			if (resps[again[i]].buffer != NULL)
				pfree(resps[again[i]].buffer);
			resps[again[i]] = retry_resps[i];
		}
		pfree(retry_reqs);
		pfree(retry_resps);
	}
	pfree(again);

	for (int i = 0; i < n; i++)
		reqs[i].bearer = NULL;
}
