/*-------------------------------------------------------------------------
 *
 * settings.c
 *		The qes.* configuration parameters, and the module's entry point.
 *
 * Every call reads these variables afresh, so a changed setting takes effect
 * on the very next call in the same session.  The settings that decide where
 * a request goes or which credentials it carries are superuser-only: a role
 * that could change the base URL could send the client secret to a host of
 * its choosing.  The client secret is shown as asterisks to everyone but a
 * superuser, whatever route they read it by (SHOW, current_setting,
 * pg_settings).
 *
 * src/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <curl/curl.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "qes.h"

PG_MODULE_MAGIC;

char	   *qes_base_url = NULL;
char	   *qes_client_id = NULL;
char	   *qes_client_secret = NULL;
char	   *qes_ca_file = NULL;
char	   *qes_trust_file = NULL;
char	   *qes_workflow_name = NULL;
int			qes_connect_timeout = 10000;
int			qes_request_timeout = 60000;
bool		qes_allow_http = false;
int			qes_sync_concurrency = 16;

/* read by the SQL script with current_setting() */
static int	sync_retry_base = 10000;
static int	sync_retry_max = 3600000;
static int	sync_max_attempts = 10;
static int	stuck_after = 1440;
static int	retention_days = 90;
static int	history_days = 730;

void		_PG_init(void);

/*
 * Show the client secret only to superusers; everyone else sees whether
 * one is set, and nothing of it.
 */
static const char *
show_client_secret(void)
{
	if (qes_client_secret == NULL || qes_client_secret[0] == '\0')
		return "";
	if (superuser())
		return qes_client_secret;
	return "********";
}

/*
 * A base URL must name a host (and maybe a port and a path) over HTTPS, or
 * plain HTTP where a superuser allowed it for a local test server, and
 * carry no query, fragment or user name, so that every request path we
 * append stays a path on that host.  libcurl's URL parser judges it.
 */
static bool
check_base_url(char **newval, void **extra pg_attribute_unused(),
			   GucSource source pg_attribute_unused())
{
	const char *url = *newval;
	CURLU	   *u;
	char	   *part = NULL;
	const char *problem = NULL;

	if (url == NULL || url[0] == '\0')
		return true;
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
	{
		GUC_check_errdetail("The base URL must start with https://.");
		return false;
	}
	if (strpbrk(url, "?#@ \t\r\n\\") != NULL)
	{
		GUC_check_errdetail("The base URL must not contain a query, a fragment, a user name or white space.");
		return false;
	}

	u = curl_url();
	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		problem = "The base URL is not a valid URL with a host.";
	else if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK ||
			 part == NULL || part[0] == '\0')
		problem = "The base URL names no host.";
	curl_free(part);
	curl_url_cleanup(u);
	if (problem != NULL)
	{
		GUC_check_errdetail("%s", problem);
		return false;
	}
	return true;
}

void
_PG_init(void)
{
	DefineCustomStringVariable("qes.base_url",
							   "Base URL of the Fourthline API.",
							   "Sandbox: https://api.ext-sandbox.fourthline.com; "
							   "production: https://api.fourthline.com.",
							   &qes_base_url,
							   "https://api.ext-sandbox.fourthline.com",
							   PGC_SUSET, 0,
							   check_base_url, NULL, NULL);

	DefineCustomStringVariable("qes.client_id",
							   "Client id of the Fourthline API key.",
							   NULL,
							   &qes_client_id,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("qes.client_secret",
							   "Client secret of the Fourthline API key.",
							   "Shown to superusers only.",
							   &qes_client_secret,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, show_client_secret);

	DefineCustomStringVariable("qes.ca_file",
							   "File of CA certificates that verify Fourthline's server certificate.",
							   "Empty means the system's CA bundle.",
							   &qes_ca_file,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("qes.trust_file",
							   "File of CA certificates that signed documents must chain to.",
							   "Used by qes_verify_signed; empty means that no chain is trusted.",
							   &qes_trust_file,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("qes.workflow_name",
							   "Workflow name used when qes_create_workflow is given none.",
							   NULL,
							   &qes_workflow_name,
							   "qes",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("qes.connect_timeout",
							"Time allowed to connect to Fourthline, TLS included.",
							NULL,
							&qes_connect_timeout,
							10000, 1, 600000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("qes.request_timeout",
							"Time allowed for one whole call to Fourthline.",
							NULL,
							&qes_request_timeout,
							60000, 1, 3600000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("qes.allow_http",
							 "Allow a plain http:// base URL, for a local test server.",
							 NULL,
							 &qes_allow_http,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("qes.sync_concurrency",
							"Status reads that qes_sync makes at once.",
							NULL,
							&qes_sync_concurrency,
							16, 1, 256,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("qes.sync_retry_base",
							"First wait of qes_sync before it retries a failed step.",
							"The wait doubles with each attempt, with jitter, up to qes.sync_retry_max.",
							&sync_retry_base,
							10000, 1, 86400000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("qes.sync_retry_max",
							"Longest wait of qes_sync before it retries a failed step.",
							NULL,
							&sync_retry_max,
							3600000, 1, 604800000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("qes.sync_max_attempts",
							"Failed attempts of a step after which qes_sync asks for an operator.",
							NULL,
							&sync_max_attempts,
							10, 1, 1000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("qes.stuck_after",
							"Time in one status after which qes_stuck lists a workflow.",
							NULL,
							&stuck_after,
							1440, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_MIN,
							NULL, NULL, NULL);

	DefineCustomIntVariable("qes.retention_days",
							"Days after a workflow ends when qes_purge removes its documents and mobile number.",
							"0 keeps them for ever.",
							&retention_days,
							90, 0, 36500,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("qes.history_days",
							"Days after a workflow ends when qes_purge removes it with its history; also the age of sync logs it removes.",
							"0 keeps them for ever.",
							&history_days,
							730, 0, 36500,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("qes");
}
