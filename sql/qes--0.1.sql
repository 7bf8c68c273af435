/* sql/qes--0.1.sql: the tables, triggers and functions of qes 0.1 */

\echo Use "CREATE EXTENSION qes" to load this file. \quit

/*
 * Tracking tables.  A workflow row mirrors one Fourthline workflow; its
 * status columns say what Fourthline answered last, and a trigger writes
 * every change of them to qes_status_history and announces it on the
 * qes_status channel.
 */
CREATE TABLE @extschema@.qes_workflow (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	partner_client_id text NOT NULL
		CHECK (length(partner_client_id) BETWEEN 1 AND 255),
	workflow_name text NOT NULL,
	workflow_id uuid UNIQUE,
	client_id uuid,
	status text,
	status_code integer,
	errors jsonb,
	status_source text CHECK (status_source IN ('call', 'webhook', 'sync')),
	final boolean NOT NULL
		GENERATED ALWAYS AS (coalesce(status IN ('signed', 'kyc_required'), false)) STORED,
	mobile_number text CHECK (mobile_number ~ '^\+[1-9][0-9]{7,14}$'),
	documents_uploaded_at timestamptz,
	mobile_uploaded_at timestamptz,
	sdk_session_at timestamptz,
	contract bytea,
	contract_sha256 bytea,
	contract_checked_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	status_changed_at timestamptz,
	checked_at timestamptz
);

COMMENT ON TABLE @extschema@.qes_workflow IS
	'One Fourthline QES workflow and what Fourthline said of it last';
COMMENT ON COLUMN @extschema@.qes_workflow.id IS
	'Our key; the documents and the history refer to it';
COMMENT ON COLUMN @extschema@.qes_workflow.partner_client_id IS
	'Our own identifier for the client (Fourthline''s partnerClientId)';
COMMENT ON COLUMN @extschema@.qes_workflow.workflow_id IS
	'Fourthline''s workflowId, which is also the signatureId';
COMMENT ON COLUMN @extschema@.qes_workflow.client_id IS
	'Fourthline''s clientId for partner_client_id';
COMMENT ON COLUMN @extschema@.qes_workflow.status IS
	'Signature status as Fourthline gave it, unknown values included';
COMMENT ON COLUMN @extschema@.qes_workflow.status_source IS
	'What made us read the status last: a function call, a webhook or the sync';
COMMENT ON COLUMN @extschema@.qes_workflow.final IS
	'True once the status is signed or kyc_required; error is not final';
COMMENT ON COLUMN @extschema@.qes_workflow.mobile_number IS
	'Signer''s mobile number in E.164, as uploaded';
COMMENT ON COLUMN @extschema@.qes_workflow.contract IS
	'InfoCert contract PDF; NULL until fetched, and when the signing went to Namirial';
COMMENT ON COLUMN @extschema@.qes_workflow.contract_checked_at IS
	'When the contract was last asked for (set also when there was none)';
COMMENT ON COLUMN @extschema@.qes_workflow.status_changed_at IS
	'When the status last changed, as far as we saw';
COMMENT ON COLUMN @extschema@.qes_workflow.checked_at IS
	'When the status was last read from Fourthline';

CREATE TABLE @extschema@.qes_document (
	workflow bigint NOT NULL
		REFERENCES @extschema@.qes_workflow (id) ON DELETE CASCADE,
	document_id text NOT NULL CHECK (document_id ~ '^[A-Za-z0-9._-]{1,64}$'),
	file_name text NOT NULL,
	original bytea,
	original_size integer NOT NULL,
	original_sha256 bytea NOT NULL,
	uploaded_at timestamptz,
	signed bytea,
	signed_size integer,
	signed_sha256 bytea,
	signed_extends_original boolean,
	signed_at timestamptz,
	PRIMARY KEY (workflow, document_id)
);

COMMENT ON TABLE @extschema@.qes_document IS
	'A document of a workflow: the PDF we uploaded and the signed PDF we downloaded';
COMMENT ON COLUMN @extschema@.qes_document.original_sha256 IS
	'SHA-256 of the uploaded bytes; kept when the bytes are removed';
COMMENT ON COLUMN @extschema@.qes_document.signed_sha256 IS
	'SHA-256 of the signed bytes; kept when the bytes are removed';
COMMENT ON COLUMN @extschema@.qes_document.signed_extends_original IS
	'Whether the signed PDF starts with the uploaded bytes, as an incremental update must';

CREATE TABLE @extschema@.qes_status_history (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workflow bigint NOT NULL
		REFERENCES @extschema@.qes_workflow (id) ON DELETE CASCADE,
	workflow_id uuid,
	old_status text,
	status text NOT NULL,
	status_code integer,
	errors jsonb,
	source text NOT NULL,
	changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX qes_status_history_workflow_idx
	ON @extschema@.qes_status_history (workflow, id);

COMMENT ON TABLE @extschema@.qes_status_history IS
	'Every change of a workflow''s status or status code, written by a trigger';
COMMENT ON COLUMN @extschema@.qes_status_history.source IS
	'What made us read the new status: call, webhook or sync';

CREATE TABLE @extschema@.qes_webhook (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	signature_id uuid NOT NULL,
	workflow bigint REFERENCES @extschema@.qes_workflow (id) ON DELETE CASCADE,
	body jsonb NOT NULL,
	received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	read_status text,
	read_error text
);

COMMENT ON TABLE @extschema@.qes_webhook IS
	'Webhook notifications as received; a hint, the status read decides';
COMMENT ON COLUMN @extschema@.qes_webhook.workflow IS
	'The tracked workflow, or NULL for a signature id we do not track';
COMMENT ON COLUMN @extschema@.qes_webhook.read_status IS
	'Status read from Fourthline right after the notification';
COMMENT ON COLUMN @extschema@.qes_webhook.read_error IS
	'Why that read failed, if it did';

/*
 * History and notification of every status change.
 */
CREATE FUNCTION @extschema@.qes_workflow_status_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO @extschema@.qes_status_history
		(workflow, workflow_id, old_status, status, status_code, errors, source)
	VALUES (NEW.id, NEW.workflow_id,
			CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
			NEW.status, NEW.status_code, NEW.errors,
			coalesce(NEW.status_source, 'call'));
	PERFORM pg_notify('qes_status',
					  json_build_object('workflow_id', NEW.workflow_id,
										'status', NEW.status,
										'status_code', NEW.status_code)::text);
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_workflow_status_changed() IS
	'Trigger: write a status change to qes_status_history and NOTIFY qes_status';

CREATE TRIGGER qes_workflow_status_inserted
	AFTER INSERT ON @extschema@.qes_workflow
	FOR EACH ROW WHEN (NEW.status IS NOT NULL)
	EXECUTE FUNCTION @extschema@.qes_workflow_status_changed();

CREATE TRIGGER qes_workflow_status_updated
	AFTER UPDATE OF status, status_code ON @extschema@.qes_workflow
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status
		  OR OLD.status_code IS DISTINCT FROM NEW.status_code)
	EXECUTE FUNCTION @extschema@.qes_workflow_status_changed();

/*
 * The calls to Fourthline, one C function each.  They check their
 * arguments, make the call and return the answer; they write no table.
 */
CREATE FUNCTION @extschema@.qes_api_create_workflow(
	partner_client_id text, workflow_name text DEFAULT NULL,
	OUT workflow_id uuid, OUT client_id uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'qes_api_create_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_create_workflow(text, text) IS
	'Call Fourthline to create a workflow (untracked; see qes_create_workflow)';

CREATE FUNCTION @extschema@.qes_api_upload_documents(
	workflow uuid, document_ids text[], contents bytea[],
	file_names text[] DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'qes_api_upload_documents'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_upload_documents(uuid, text[], bytea[], text[]) IS
	'Call Fourthline to upload the documents to sign (untracked; see qes_upload_documents)';

CREATE FUNCTION @extschema@.qes_api_upload_mobile_number(
	workflow uuid, mobile_number text)
RETURNS void
AS 'MODULE_PATHNAME', 'qes_api_upload_mobile_number'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_upload_mobile_number(uuid, text) IS
	'Call Fourthline to upload the mobile number (untracked; see qes_upload_mobile_number)';

CREATE FUNCTION @extschema@.qes_api_create_sdk_session(workflow uuid)
RETURNS text
AS 'MODULE_PATHNAME', 'qes_api_create_sdk_session'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_create_sdk_session(uuid) IS
	'Call Fourthline to create an SDK session; returns the validation code';

CREATE FUNCTION @extschema@.qes_api_status(
	workflow uuid, OUT status text, OUT status_code integer, OUT errors jsonb)
RETURNS record
AS 'MODULE_PATHNAME', 'qes_api_status'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_status(uuid) IS
	'Call Fourthline to read the signature status (untracked; see qes_status)';

CREATE FUNCTION @extschema@.qes_api_signed_document(
	workflow uuid, document_id text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'qes_api_signed_document'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_signed_document(uuid, text) IS
	'Call Fourthline to download a signed PDF (untracked; see qes_fetch_signed)';

CREATE FUNCTION @extschema@.qes_api_contract(workflow uuid)
RETURNS bytea
AS 'MODULE_PATHNAME', 'qes_api_contract'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_contract(uuid) IS
	'Call Fourthline to download the InfoCert contract; NULL when there is none';

CREATE FUNCTION @extschema@.qes_normalize_mobile_number(mobile_number text)
RETURNS text
AS 'MODULE_PATHNAME', 'qes_normalize_mobile_number'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.qes_normalize_mobile_number(text) IS
	'The E.164 form of a mobile number as people type it; an error when there is none';

CREATE FUNCTION @extschema@.qes_mask_mobile_number(mobile_number text)
RETURNS text
AS 'MODULE_PATHNAME', 'qes_mask_mobile_number'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.qes_mask_mobile_number(text) IS
	'A mobile number with all but its first and last two digits hidden';

/*
 * Helpers of the tracking functions.
 */
CREATE FUNCTION @extschema@.qes_lock_workflow(workflow uuid)
RETURNS @extschema@.qes_workflow
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow;
BEGIN
	IF workflow IS NULL THEN
		RAISE EXCEPTION 'workflow id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT * INTO w FROM @extschema@.qes_workflow AS t
	 WHERE t.workflow_id = workflow
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'workflow % is not tracked', workflow
			USING ERRCODE = 'no_data_found',
				  HINT = 'Create workflows with qes_create_workflow.';
	END IF;
	RETURN w;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_lock_workflow(uuid) IS
	'The tracked workflow with this id, locked for the rest of the transaction';

CREATE FUNCTION @extschema@.qes_record_status(
	id bigint, status text, status_code integer, errors jsonb, source text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE @extschema@.qes_workflow AS t
	   SET status = $2,
		   status_code = $3,
		   errors = $4,
		   status_source = $5,
		   checked_at = now(),
		   status_changed_at = CASE WHEN t.status IS DISTINCT FROM $2
									THEN now() ELSE t.status_changed_at END
	 WHERE t.id = $1;
$$;

COMMENT ON FUNCTION @extschema@.qes_record_status(bigint, text, integer, jsonb, text) IS
	'Store a status read from Fourthline; the trigger writes the history';

/*
 * The tracking functions: each makes one call through qes_api_* and keeps
 * the tables true.  When the call fails, the error undoes everything.  They
 * run with the rights of the extension's owner, so that an application role
 * needs EXECUTE on them and nothing else; their search path is fixed.
 */
CREATE FUNCTION @extschema@.qes_create_workflow(
	partner_client_id text, workflow_name text DEFAULT NULL)
RETURNS @extschema@.qes_workflow
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	created record;
	w @extschema@.qes_workflow;
BEGIN
	created := @extschema@.qes_api_create_workflow(partner_client_id,
												   workflow_name);
	INSERT INTO @extschema@.qes_workflow
		(partner_client_id, workflow_name, workflow_id, client_id,
		 status, status_source, status_changed_at)
	VALUES (partner_client_id,
			coalesce(workflow_name, current_setting('qes.workflow_name')),
			created.workflow_id, created.client_id, 'new', 'call', now())
	RETURNING * INTO w;
	RETURN w;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_create_workflow(text, text) IS
	'Create a workflow at Fourthline for a client reference and track it';

CREATE FUNCTION @extschema@.qes_upload_documents(
	workflow uuid, document_ids text[], contents bytea[],
	file_names text[] DEFAULT NULL)
RETURNS TABLE (document_id text, size integer, sha256 bytea)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow := @extschema@.qes_lock_workflow(workflow);
BEGIN
	PERFORM @extschema@.qes_api_upload_documents(workflow, document_ids,
												 contents, file_names);

	-- an upload replaces the earlier set
	DELETE FROM @extschema@.qes_document AS d WHERE d.workflow = w.id;
	INSERT INTO @extschema@.qes_document
		(workflow, document_id, file_name, original, original_size,
		 original_sha256, uploaded_at)
	SELECT w.id, u.id, coalesce(u.name, u.id || '.pdf'), u.content,
		   length(u.content), pg_catalog.sha256(u.content), now()
	  FROM unnest(document_ids, contents,
				  coalesce(file_names,
						   array_fill(NULL::text,
									  ARRAY[cardinality(document_ids)])))
		   AS u(id, content, name);
	UPDATE @extschema@.qes_workflow AS t
	   SET documents_uploaded_at = now()
	 WHERE t.id = w.id;

	RETURN QUERY
		SELECT d.document_id, d.original_size, d.original_sha256
		  FROM @extschema@.qes_document AS d
		 WHERE d.workflow = w.id
		 ORDER BY d.document_id;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_upload_documents(uuid, text[], bytea[], text[]) IS
	'Upload the PDFs to sign (replacing any earlier set) and store them with their SHA-256';

CREATE FUNCTION @extschema@.qes_upload_mobile_number(
	workflow uuid, mobile_number text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow := @extschema@.qes_lock_workflow(workflow);
	e164 text := @extschema@.qes_normalize_mobile_number(mobile_number);
BEGIN
	PERFORM @extschema@.qes_api_upload_mobile_number(workflow, e164);
	UPDATE @extschema@.qes_workflow AS t
	   SET mobile_number = e164, mobile_uploaded_at = now()
	 WHERE t.id = w.id;
	RETURN @extschema@.qes_mask_mobile_number(e164);
END
$$;

COMMENT ON FUNCTION @extschema@.qes_upload_mobile_number(uuid, text) IS
	'Upload the signer''s mobile number in E.164; returns it masked';

CREATE FUNCTION @extschema@.qes_create_sdk_session(workflow uuid)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow := @extschema@.qes_lock_workflow(workflow);
	code text;
BEGIN
	code := @extschema@.qes_api_create_sdk_session(workflow);
	UPDATE @extschema@.qes_workflow AS t
	   SET sdk_session_at = now()
	 WHERE t.id = w.id;
	RETURN code;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_create_sdk_session(uuid) IS
	'Create an SDK session; returns the validation code that starts the Web SDK';

CREATE FUNCTION @extschema@.qes_status(workflow uuid)
RETURNS TABLE (status text, status_code integer, errors jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow := @extschema@.qes_lock_workflow(workflow);
	r record;
BEGIN
	r := @extschema@.qes_api_status(workflow);
	PERFORM @extschema@.qes_record_status(w.id, r.status, r.status_code,
										  r.errors, 'call');
	RETURN QUERY SELECT r.status, r.status_code, r.errors;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_status(uuid) IS
	'Read the signature status from Fourthline and store it';

CREATE FUNCTION @extschema@.qes_fetch_signed(workflow uuid, document_id text)
RETURNS bytea
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow := @extschema@.qes_lock_workflow(workflow);
	pdf bytea;
BEGIN
	IF document_id IS NULL THEN
		RAISE EXCEPTION 'document id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.qes_document AS d
					WHERE d.workflow = w.id
					  AND d.document_id = qes_fetch_signed.document_id) THEN
		RAISE EXCEPTION 'the workflow has no document "%"',
			qes_fetch_signed.document_id
			USING ERRCODE = 'no_data_found';
	END IF;

	pdf := @extschema@.qes_api_signed_document(workflow, document_id);
	UPDATE @extschema@.qes_document AS d
	   SET signed = pdf,
		   signed_size = length(pdf),
		   signed_sha256 = pg_catalog.sha256(pdf),
		   signed_extends_original =
			   d.original IS NOT NULL
			   AND length(pdf) > d.original_size
			   AND substring(pdf FROM 1 FOR d.original_size) = d.original,
		   signed_at = now()
	 WHERE d.workflow = w.id
	   AND d.document_id = qes_fetch_signed.document_id;
	RETURN pdf;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_fetch_signed(uuid, text) IS
	'Download a signed PDF, store it with its SHA-256 and return it';

CREATE FUNCTION @extschema@.qes_fetch_contract(workflow uuid)
RETURNS bytea
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow := @extschema@.qes_lock_workflow(workflow);
	pdf bytea;
BEGIN
	pdf := @extschema@.qes_api_contract(workflow);
	UPDATE @extschema@.qes_workflow AS t
	   SET contract = pdf,
		   contract_sha256 = pg_catalog.sha256(pdf),
		   contract_checked_at = now()
	 WHERE t.id = w.id;
	RETURN pdf;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_fetch_contract(uuid) IS
	'Download the InfoCert contract and store it; NULL when the signing went to Namirial';

/*
 * Webhooks: the application's web endpoint hands us what Fourthline POSTed.
 * The notification is recorded, then the status is read from the API,
 * because a webhook is only a hint (it may repeat, come late or out of
 * order).  A failed read is recorded with the notification and reported as
 * a warning, so that the web endpoint can still answer 2xx.
 */
CREATE FUNCTION @extschema@.qes_webhook(signature_id uuid, body jsonb)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow;
	hook bigint;
	problem text;
	r record;
BEGIN
	IF signature_id IS NULL OR body IS NULL THEN
		RAISE EXCEPTION 'signature id and body must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	problem := CASE
		WHEN jsonb_typeof(body) <> 'object' THEN 'the body is not a JSON object'
		WHEN jsonb_typeof(body -> 'signatureId') IS DISTINCT FROM 'string'
			THEN 'signatureId is missing'
		WHEN lower(body ->> 'signatureId') <> signature_id::text
			THEN 'signatureId differs from the signature id of the URL'
		WHEN jsonb_typeof(body -> 'status') IS DISTINCT FROM 'string'
			 OR length(body ->> 'status') NOT BETWEEN 1 AND 64
			THEN 'status is missing or not a short string'
		WHEN body ? 'statusCode' AND jsonb_typeof(body -> 'statusCode') <> 'null'
			 AND (jsonb_typeof(body -> 'statusCode') <> 'number'
				  OR (body ->> 'statusCode') !~ '^[0-9]{1,4}$'
				  OR (body ->> 'statusCode')::integer > 6000)
			THEN 'statusCode is not an integer from 0 to 6000'
		WHEN body ? 'errors' AND jsonb_typeof(body -> 'errors') NOT IN ('array', 'null')
			THEN 'errors is not an array'
		END;
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'webhook body is not a Fourthline QES notification'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = problem || '.';
	END IF;

	SELECT * INTO w FROM @extschema@.qes_workflow AS t
	 WHERE t.workflow_id = qes_webhook.signature_id
	   FOR UPDATE;
	INSERT INTO @extschema@.qes_webhook (signature_id, workflow, body)
	VALUES (signature_id, w.id, body)
	RETURNING id INTO hook;
	IF w.id IS NULL THEN
		RAISE WARNING 'webhook for signature % that is not tracked', signature_id;
		RETURN NULL;
	END IF;

	BEGIN
		r := @extschema@.qes_api_status(signature_id);
		PERFORM @extschema@.qes_record_status(w.id, r.status, r.status_code,
											  r.errors, 'webhook');
		UPDATE @extschema@.qes_webhook AS h
		   SET read_status = r.status
		 WHERE h.id = hook;
		RETURN r.status;
	EXCEPTION
		WHEN connection_exception
			OR SQLSTATE 'QF400' OR SQLSTATE 'QF401' OR SQLSTATE 'QF403'
			OR SQLSTATE 'QF404' OR SQLSTATE 'QF408' OR SQLSTATE 'QF409'
			OR SQLSTATE 'QF429' OR SQLSTATE 'QF500' OR SQLSTATE 'QF502' THEN
		UPDATE @extschema@.qes_webhook AS h
		   SET read_error = SQLERRM
		 WHERE h.id = hook;
		RAISE WARNING 'could not read the status after a webhook: %', SQLERRM;
		RETURN w.status;
	END;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_webhook(uuid, jsonb) IS
	'Record a webhook notification, then read the status from Fourthline; returns the status';

/* Only the roles an administrator chooses may call Fourthline. */
DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN
		SELECT d.objid::regprocedure
		  FROM pg_catalog.pg_depend AS d
		  JOIN pg_catalog.pg_extension AS e ON e.oid = d.refobjid
		 WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
		   AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND d.deptype = 'e'
		   AND e.extname = 'qes'
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
	END LOOP;
END
$$;
