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
		CHECK (length(partner_client_id) BETWEEN 1 AND 255
			   AND partner_client_id !~ '[[:cntrl:]]'),
	workflow_name text NOT NULL
		CHECK (length(workflow_name) BETWEEN 1 AND 255
			   AND workflow_name !~ '[[:cntrl:]]'),
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
	sdk_session_wanted boolean NOT NULL DEFAULT false,
	validation_code text,
	contract bytea,
	contract_sha256 bytea,
	contract_checked_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	status_changed_at timestamptz,
	checked_at timestamptz,
	in_flight text CHECK (in_flight IN ('create', 'documents', 'mobile',
										'session', 'download')),
	in_flight_since timestamptz,
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz,
	last_error text,
	last_error_sqlstate text,
	last_error_at timestamptz,
	needs_operator text,
	read_requested_at timestamptz,
	read_attempts integer NOT NULL DEFAULT 0,
	next_read_at timestamptz
);

-- on id, not on a column that every status read updates: reads stay HOT
CREATE INDEX qes_workflow_open_idx ON @extschema@.qes_workflow (id)
	WHERE NOT final;

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
COMMENT ON COLUMN @extschema@.qes_workflow.sdk_session_wanted IS
	'Whether qes_sync creates an SDK session once the documents and number are uploaded';
COMMENT ON COLUMN @extschema@.qes_workflow.validation_code IS
	'Validation code of the SDK session that qes_sync created; single use, valid two hours';
COMMENT ON COLUMN @extschema@.qes_workflow.in_flight IS
	'The call to Fourthline that qes_sync has under way; set (and committed) before the call';
COMMENT ON COLUMN @extschema@.qes_workflow.attempts IS
	'Failed attempts of the current step, reset by a success';
COMMENT ON COLUMN @extschema@.qes_workflow.next_attempt_at IS
	'Not before this time will qes_sync try this workflow again';
COMMENT ON COLUMN @extschema@.qes_workflow.needs_operator IS
	'Why qes_sync stopped working on this workflow; qes_resolve takes it up again';
COMMENT ON COLUMN @extschema@.qes_workflow.read_attempts IS
	'Failed status reads in a row, reset by a successful read';
COMMENT ON COLUMN @extschema@.qes_workflow.next_read_at IS
	'Not before this time will qes_sync read the status again (after a failed read)';
COMMENT ON COLUMN @extschema@.qes_workflow.read_requested_at IS
	'A webhook asked for a status read, which qes_sync makes first';

CREATE TABLE @extschema@.qes_document (
	workflow bigint NOT NULL
		REFERENCES @extschema@.qes_workflow (id) ON DELETE CASCADE,
	document_id text NOT NULL CHECK (document_id ~ '^[A-Za-z0-9._-]{1,64}$'),
	file_name text NOT NULL,
	original bytea,
	original_size integer,
	original_sha256 bytea,
	uploaded_at timestamptz,
	signed bytea,
	signed_size integer,
	signed_sha256 bytea,
	signed_extends_original boolean,
	signed_at timestamptz,
	verified boolean,
	verify_reason text,
	PRIMARY KEY (workflow, document_id)
);

-- PDFs are compressed already: store their bytes out of line, uncompressed
ALTER TABLE @extschema@.qes_document
	ALTER COLUMN original SET STORAGE EXTERNAL,
	ALTER COLUMN signed SET STORAGE EXTERNAL;
ALTER TABLE @extschema@.qes_workflow
	ALTER COLUMN contract SET STORAGE EXTERNAL;

COMMENT ON TABLE @extschema@.qes_document IS
	'A document of a workflow: the PDF we uploaded and the signed PDF we downloaded';
COMMENT ON COLUMN @extschema@.qes_document.original_sha256 IS
	'SHA-256 of the uploaded bytes; kept when the bytes are removed';
COMMENT ON COLUMN @extschema@.qes_document.signed_sha256 IS
	'SHA-256 of the signed bytes; kept when the bytes are removed';
COMMENT ON COLUMN @extschema@.qes_document.signed_extends_original IS
	'Whether the signed PDF starts with the uploaded bytes, as an incremental update must';
COMMENT ON COLUMN @extschema@.qes_document.verified IS
	'Verdict of qes_verify_signed on the signed PDF, set when it is stored';
COMMENT ON COLUMN @extschema@.qes_document.verify_reason IS
	'Why the signed PDF failed verification';

CREATE FUNCTION @extschema@.qes_check_documents(
	document_ids text[], contents bytea[], file_names text[] DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'qes_check_documents'
LANGUAGE C STABLE;

COMMENT ON FUNCTION @extschema@.qes_check_documents(text[], bytea[], text[]) IS
	'Raise the error that an upload of these documents would raise, without sending anything';

CREATE FUNCTION @extschema@.qes_verify_signed(
	original bytea, signed bytea,
	OUT starts_with_original boolean, OUT update_only_signature boolean,
	OUT byte_range_ok boolean, OUT signature_ok boolean,
	OUT signer_subject text, OUT signer_issuer text, OUT signer_serial text,
	OUT valid_from timestamptz, OUT valid_until timestamptz,
	OUT signing_time timestamptz, OUT chain_trusted boolean,
	OUT verdict boolean, OUT reason text)
RETURNS record
AS 'MODULE_PATHNAME', 'qes_verify_signed'
LANGUAGE C STABLE;

COMMENT ON FUNCTION @extschema@.qes_verify_signed(bytea, bytea) IS
	'Verify a signed PDF (PAdES) against the uploaded original and the CAs of qes.trust_file';

CREATE FUNCTION @extschema@.qes_check_document(
	document_id text, content bytea, file_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'qes_check_document'
LANGUAGE C STABLE;

COMMENT ON FUNCTION @extschema@.qes_check_document(text, bytea, text) IS
	'Raise the error that an upload of this one document would raise';

/*
 * A document row is checked like an upload, and carries the size and
 * SHA-256 of its bytes, however it was written (by the functions, or by an
 * application that inserts into the queue directly).
 */
CREATE FUNCTION @extschema@.qes_document_bytes_changed()
RETURNS trigger
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.original IS DISTINCT FROM OLD.original THEN
		IF NEW.original IS NOT NULL THEN
			PERFORM @extschema@.qes_check_document(NEW.document_id,
													NEW.original,
													NEW.file_name);
			NEW.original_size := length(NEW.original);
			NEW.original_sha256 := sha256(NEW.original);
		ELSIF TG_OP = 'INSERT' THEN
			RAISE EXCEPTION 'document "%" has no bytes', NEW.document_id
				USING ERRCODE = 'null_value_not_allowed';
		END IF;
	END IF;
	IF NEW.signed IS NOT NULL AND
	   (TG_OP = 'INSERT' OR NEW.signed IS DISTINCT FROM OLD.signed) THEN
		NEW.signed_size := length(NEW.signed);
		NEW.signed_sha256 := sha256(NEW.signed);
		NEW.signed_extends_original :=
			NEW.original IS NOT NULL
			AND length(NEW.signed) > length(NEW.original)
			AND substring(NEW.signed FROM 1 FOR length(NEW.original)) = NEW.original;
		IF NEW.original IS NOT NULL THEN
			SELECT v.verdict, v.reason INTO NEW.verified, NEW.verify_reason
			  FROM @extschema@.qes_verify_signed(NEW.original, NEW.signed) AS v;
		END IF;
	END IF;
	RETURN NEW;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_document_bytes_changed() IS
	'Trigger: check a document''s bytes, record their size and SHA-256, verify a signed PDF';

CREATE TRIGGER qes_document_bytes
	BEFORE INSERT OR UPDATE OF original, signed ON @extschema@.qes_document
	FOR EACH ROW EXECUTE FUNCTION @extschema@.qes_document_bytes_changed();

/*
 * The mobile number is kept in E.164, however it was typed.
 */
CREATE FUNCTION @extschema@.qes_workflow_mobile_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.mobile_number IS NOT NULL THEN
		NEW.mobile_number := @extschema@.qes_normalize_mobile_number(NEW.mobile_number);
	END IF;
	RETURN NEW;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_workflow_mobile_changed() IS
	'Trigger: store the mobile number in E.164, or refuse it';

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

CREATE TRIGGER qes_workflow_mobile
	BEFORE INSERT OR UPDATE OF mobile_number ON @extschema@.qes_workflow
	FOR EACH ROW EXECUTE FUNCTION @extschema@.qes_workflow_mobile_changed();

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

CREATE TYPE @extschema@.qes_status_read AS (
	workflow_id uuid,
	status text,
	status_code integer,
	errors jsonb,
	error_sqlstate text,
	error_message text,
	error_detail text,
	retry_after integer
);

COMMENT ON TYPE @extschema@.qes_status_read IS
	'One status read of qes_api_status_many: the status, or why there is none';

CREATE FUNCTION @extschema@.qes_api_status_many(workflows uuid[], concurrency integer)
RETURNS SETOF @extschema@.qes_status_read
AS 'MODULE_PATHNAME', 'qes_api_status_many'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.qes_api_status_many(uuid[], integer) IS
	'Read the status of many workflows, concurrency at a time; a failed read gives a row with the error';

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
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE @extschema@.qes_workflow AS t
	   SET status = $2,
		   status_code = $3,
		   errors = $4,
		   status_source = $5,
		   checked_at = now(),
		   status_changed_at = CASE WHEN t.status IS DISTINCT FROM $2
									THEN now() ELSE t.status_changed_at END
	 WHERE t.id = $1;
END
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
SET plan_cache_mode = force_generic_plan
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
		(workflow, document_id, file_name, original, uploaded_at)
	SELECT w.id, u.id, coalesce(u.name, u.id || '.pdf'), u.content, now()
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
SET plan_cache_mode = force_generic_plan
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
 * a warning, so that the web endpoint can still answer 2xx; qes_sync then
 * reads that workflow first.  With read_now false, the read is left to
 * qes_sync from the start.
 */
CREATE FUNCTION @extschema@.qes_check_webhook(signature_id uuid, body jsonb)
RETURNS void
AS 'MODULE_PATHNAME', 'qes_check_webhook'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.qes_check_webhook(uuid, jsonb) IS
	'Raise an error unless a webhook body is a Fourthline QES notification about that signature';

CREATE FUNCTION @extschema@.qes_webhook(signature_id uuid, body jsonb,
										read_now boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow;
	hook bigint;
	r record;
BEGIN
	IF signature_id IS NULL OR body IS NULL THEN
		RAISE EXCEPTION 'signature id and body must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM @extschema@.qes_check_webhook(signature_id, body);

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
	IF NOT coalesce(read_now, true) THEN
		UPDATE @extschema@.qes_workflow AS t
		   SET read_requested_at = now()
		 WHERE t.id = w.id;
		RETURN w.status;
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
		UPDATE @extschema@.qes_workflow AS t
		   SET read_requested_at = now()
		 WHERE t.id = w.id;
		RAISE WARNING 'could not read the status after a webhook: %', SQLERRM;
		RETURN w.status;
	END;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_webhook(uuid, jsonb, boolean) IS
	'Record a webhook notification, then read the status from Fourthline (or leave the read to qes_sync); returns the status';

/*
 * The queue.  An application asks for a signing by writing rows in its own
 * transaction (qes_request_signing does it in one call); nothing is sent
 * before commit, and nothing ever after a rollback.  qes_sync, run by hand
 * or by pg_cron, does all the talking.
 */
CREATE TABLE @extschema@.qes_sync_run (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	started_at timestamptz NOT NULL,
	finished_at timestamptz,
	read integer,
	advanced integer,
	signed integer,
	failed integer,
	"left" integer
);

COMMENT ON TABLE @extschema@.qes_sync_run IS
	'One row per run of qes_sync, with its summary; qes_purge removes old ones';

CREATE TABLE @extschema@.qes_sync_error (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	workflow bigint REFERENCES @extschema@.qes_workflow (id) ON DELETE CASCADE,
	step text NOT NULL,
	sqlstate text NOT NULL,
	api_code text,
	message text NOT NULL,
	detail text
);

CREATE INDEX qes_sync_error_at_idx ON @extschema@.qes_sync_error (at);

COMMENT ON TABLE @extschema@.qes_sync_error IS
	'Every failed step of qes_sync: the SQLSTATE, Fourthline''s error code and the message';

CREATE FUNCTION @extschema@.qes_request_signing(
	partner_client_id text, document_ids text[], contents bytea[],
	mobile_number text, file_names text[] DEFAULT NULL,
	workflow_name text DEFAULT NULL, sdk_session boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	queued bigint;
BEGIN
	IF partner_client_id IS NULL OR mobile_number IS NULL THEN
		RAISE EXCEPTION 'client reference and mobile number must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM @extschema@.qes_check_documents(document_ids, contents, file_names);

	INSERT INTO @extschema@.qes_workflow
		(partner_client_id, workflow_name, mobile_number, sdk_session_wanted)
	VALUES (partner_client_id,
			coalesce(workflow_name, current_setting('qes.workflow_name')),
			@extschema@.qes_normalize_mobile_number(mobile_number),
			coalesce(sdk_session, true))
	RETURNING id INTO queued;

	INSERT INTO @extschema@.qes_document (workflow, document_id, file_name, original)
	SELECT queued, u.id, coalesce(u.name, u.id || '.pdf'), u.content
	  FROM unnest(document_ids, contents,
				  coalesce(file_names,
						   array_fill(NULL::text,
									  ARRAY[cardinality(document_ids)])))
		   AS u(id, content, name);
	RETURN queued;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_request_signing(text, text[], bytea[], text, text[], text, boolean) IS
	'Queue a signing (client reference, documents, mobile number) for qes_sync; sends nothing';

/*
 * The next call that qes_sync must make for a workflow, or NULL: create it;
 * once Fourthline has found the client eligible (pending), upload its
 * documents and mobile number and create the SDK session that was asked
 * for; download what a signed workflow has.  Nothing is uploaded for a
 * client who turns out to need identity verification (kyc_required).
 */
CREATE FUNCTION @extschema@.qes_sync_next_step(w @extschema@.qes_workflow)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN w.workflow_id IS NULL THEN 'create'
		WHEN w.status = 'pending'
			 AND EXISTS (SELECT FROM @extschema@.qes_document AS d
						  WHERE d.workflow = w.id AND d.uploaded_at IS NULL)
			THEN 'documents'
		WHEN w.status = 'pending' AND w.mobile_number IS NOT NULL
			 AND w.mobile_uploaded_at IS NULL
			THEN 'mobile'
		WHEN w.status = 'pending' AND w.sdk_session_wanted
			 AND w.sdk_session_at IS NULL AND w.mobile_uploaded_at IS NOT NULL
			 AND w.documents_uploaded_at IS NOT NULL
			THEN 'session'
		WHEN w.status = 'signed'
			 AND (w.contract_checked_at IS NULL
				  OR EXISTS (SELECT FROM @extschema@.qes_document AS d
							  WHERE d.workflow = w.id AND d.signed_at IS NULL))
			THEN 'download'
	END;
$$;

COMMENT ON FUNCTION @extschema@.qes_sync_next_step(@extschema@.qes_workflow) IS
	'The next call qes_sync must make for a workflow, or NULL';

/*
 * Make one step's call and record its success.  The row's in_flight was
 * set and committed before, so a crash during the call leaves a trace.
 */
CREATE FUNCTION @extschema@.qes_sync_do(id bigint, step text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow;
	created record;
	doc record;
BEGIN
	SELECT * INTO STRICT w FROM @extschema@.qes_workflow AS t
	 WHERE t.id = qes_sync_do.id FOR UPDATE;

	CASE step
	WHEN 'create' THEN
		created := @extschema@.qes_api_create_workflow(w.partner_client_id,
													   w.workflow_name);
		UPDATE @extschema@.qes_workflow AS t
		   SET workflow_id = created.workflow_id,
			   client_id = created.client_id,
			   status = 'new',
			   status_source = 'sync',
			   status_changed_at = now()
		 WHERE t.id = w.id;
	WHEN 'documents' THEN
		PERFORM @extschema@.qes_api_upload_documents(w.workflow_id,
				array_agg(d.document_id ORDER BY d.document_id),
				array_agg(d.original ORDER BY d.document_id),
				array_agg(d.file_name ORDER BY d.document_id))
		   FROM @extschema@.qes_document AS d
		  WHERE d.workflow = w.id;
		UPDATE @extschema@.qes_document AS d
		   SET uploaded_at = now()
		 WHERE d.workflow = w.id;
		UPDATE @extschema@.qes_workflow AS t
		   SET documents_uploaded_at = now()
		 WHERE t.id = w.id;
	WHEN 'mobile' THEN
		PERFORM @extschema@.qes_api_upload_mobile_number(w.workflow_id,
														 w.mobile_number);
		UPDATE @extschema@.qes_workflow AS t
		   SET mobile_uploaded_at = now()
		 WHERE t.id = w.id;
	WHEN 'session' THEN
		UPDATE @extschema@.qes_workflow AS t
		   SET validation_code = @extschema@.qes_api_create_sdk_session(w.workflow_id),
			   sdk_session_at = now()
		 WHERE t.id = w.id;
	WHEN 'download' THEN
		FOR doc IN SELECT q.document_id FROM @extschema@.qes_document AS q
				  WHERE q.workflow = w.id AND q.signed_at IS NULL
				  ORDER BY q.document_id
		LOOP
			UPDATE @extschema@.qes_document AS q
			   SET signed = @extschema@.qes_api_signed_document(w.workflow_id,
																doc.document_id),
				   signed_at = now()
			 WHERE q.workflow = w.id AND q.document_id = doc.document_id;
		END LOOP;
		IF w.contract_checked_at IS NULL THEN
			UPDATE @extschema@.qes_workflow AS t
			   SET contract = @extschema@.qes_api_contract(w.workflow_id),
				   contract_checked_at = now()
			 WHERE t.id = w.id;
			UPDATE @extschema@.qes_workflow AS t
			   SET contract_sha256 = sha256(t.contract)
			 WHERE t.id = w.id;
		END IF;
	END CASE;

	UPDATE @extschema@.qes_workflow AS t
	   SET in_flight = NULL, in_flight_since = NULL, attempts = 0,
		   next_attempt_at = NULL, last_error = NULL,
		   last_error_sqlstate = NULL
	 WHERE t.id = w.id;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_sync_do(bigint, text) IS
	'qes_sync: make one step''s call for a workflow and record its success';

/*
 * The wait before the next attempt: qes.sync_retry_base doubled for each
 * failed attempt, at most qes.sync_retry_max, with jitter (a random half of
 * it taken off), and never shorter than what a Retry-After asked for.
 */
CREATE FUNCTION @extschema@.qes_backoff(attempts integer, retry_after integer DEFAULT NULL)
RETURNS interval
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT greatest(
		least(current_setting('qes.sync_retry_base')::interval
				  * power(2, least(greatest(attempts, 1) - 1, 30)),
			  current_setting('qes.sync_retry_max')::interval)
			* (0.5 + random() / 2),
		make_interval(secs => coalesce(retry_after, 0)));
$$;

COMMENT ON FUNCTION @extschema@.qes_backoff(integer, integer) IS
	'qes_sync: the wait before attempt n + 1, exponential with jitter, honouring Retry-After';

/*
 * Record a failed step.  A failed creation or mobile number upload whose
 * outcome is unknown (the request may have reached Fourthline: a dropped
 * connection, a timeout after sending, an answer we could not read) is not
 * retried, since a repeat could make a second workflow or send a second
 * SMS: it is left for an operator.  Everything else is retried with
 * backoff, until qes.sync_max_attempts.
 */
CREATE FUNCTION @extschema@.qes_sync_failed(
	id bigint, step text, sqlstate text, message text, detail text, hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	nothing_sent boolean := sqlstate IN ('QF400', 'QF401', 'QF403', 'QF404',
										 'QF409', 'QF429', 'QF500', '08001')
		OR left(sqlstate, 2) IN ('22', '23', '42', '54')
		OR (sqlstate = 'QF408' AND detail ~ 'Phase: (DNS|connect|TLS)\.');
	unknown boolean := step IN ('create', 'mobile') AND NOT nothing_sent;
	max_attempts integer := current_setting('qes.sync_max_attempts')::integer;
BEGIN
	INSERT INTO @extschema@.qes_sync_error
		(workflow, step, sqlstate, api_code, message, detail)
	VALUES (id, step, sqlstate,
			substring(detail FROM 'Fourthline error code: ([^ ]+)\.'),
			message, detail);

	IF step = 'read' THEN
		UPDATE @extschema@.qes_workflow AS t
		   SET read_attempts = t.read_attempts + 1,
			   last_error = message,
			   last_error_sqlstate = sqlstate,
			   last_error_at = now(),
			   needs_operator = CASE WHEN t.read_attempts + 1 >= max_attempts THEN
				   format('the status read failed %s times; the last error: %s: %s',
						  t.read_attempts + 1, sqlstate, message) END,
			   next_read_at = now() + @extschema@.qes_backoff(
				   t.read_attempts + 1,
				   substring(hint FROM 'Retry after ([0-9]+) seconds')::integer)
		 WHERE t.id = qes_sync_failed.id;
		RETURN;
	END IF;

	UPDATE @extschema@.qes_workflow AS t
	   SET attempts = t.attempts + 1,
		   last_error = message,
		   last_error_sqlstate = sqlstate,
		   last_error_at = now(),
		   in_flight = CASE WHEN unknown THEN t.in_flight END,
		   in_flight_since = CASE WHEN unknown THEN t.in_flight_since END,
		   needs_operator = CASE
			   WHEN unknown THEN
				   format('the outcome of "%s" is unknown (%s: %s); a repeat could duplicate it at Fourthline',
						  step, sqlstate, message)
			   WHEN t.attempts + 1 >= max_attempts THEN
				   format('"%s" failed %s times; the last error: %s: %s',
						  step, t.attempts + 1, sqlstate, message)
			   END,
		   next_attempt_at = now() + @extschema@.qes_backoff(
			   t.attempts + 1,
			   substring(hint FROM 'Retry after ([0-9]+) seconds')::integer)
	 WHERE t.id = qes_sync_failed.id;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_sync_failed(bigint, text, text, text, text, text) IS
	'qes_sync: record a failed step, with backoff, or for an operator when its outcome is unknown';

/*
 * After a crash, a call that was under way has an unknown outcome.  Steps
 * that can be repeated without harm (an upload of documents replaces the
 * earlier set; a new SDK session revokes the earlier one; a download) are
 * simply made again.  A mobile number upload is known to have arrived when
 * the signer got past pending.  Anything else waits for an operator.
 */
CREATE FUNCTION @extschema@.qes_sync_reconcile()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	UPDATE @extschema@.qes_workflow AS t
	   SET in_flight = NULL, in_flight_since = NULL
	 WHERE t.in_flight IN ('documents', 'session', 'download');
	GET DIAGNOSTICS n = ROW_COUNT;

	UPDATE @extschema@.qes_workflow AS t
	   SET in_flight = NULL, in_flight_since = NULL,
		   mobile_uploaded_at = coalesce(t.mobile_uploaded_at, now())
	 WHERE t.in_flight = 'mobile'
	   AND t.status IN ('selfie_required', 'user_consent_required',
						'confirmation_required', 'signed');

	UPDATE @extschema@.qes_workflow AS t
	   SET needs_operator = CASE t.in_flight
		   WHEN 'create' THEN
			   'the sync stopped while creating this workflow; Fourthline may hold a workflow for this client reference that these tables do not know'
		   ELSE
			   'the sync stopped while uploading the mobile number; uploading it again may send the signer a second SMS'
		   END
	 WHERE t.in_flight IN ('create', 'mobile') AND t.needs_operator IS NULL;
	RETURN n;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_sync_reconcile() IS
	'qes_sync: settle the calls that a crashed run left under way';

/*
 * An operator's answer to a workflow that qes_sync left for one:
 * 'retry' makes the step again (accepting a possible duplicate), 'done'
 * says it happened (for a creation, give the workflow id found at
 * Fourthline).
 */
CREATE FUNCTION @extschema@.qes_resolve(id bigint, outcome text, workflow_id uuid DEFAULT NULL)
RETURNS @extschema@.qes_workflow
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w @extschema@.qes_workflow;
BEGIN
	SELECT * INTO w FROM @extschema@.qes_workflow AS t
	 WHERE t.id = qes_resolve.id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no queued workflow %', id USING ERRCODE = 'no_data_found';
	END IF;
	IF outcome IS NULL OR outcome NOT IN ('retry', 'done') THEN
		RAISE EXCEPTION 'outcome must be ''retry'' or ''done'''
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF outcome = 'done' AND w.in_flight = 'create' AND qes_resolve.workflow_id IS NULL THEN
		RAISE EXCEPTION 'a creation is done only with the workflow id found at Fourthline'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;

	UPDATE @extschema@.qes_workflow AS t
	   SET workflow_id = CASE WHEN outcome = 'done' AND w.in_flight = 'create'
							  THEN qes_resolve.workflow_id ELSE t.workflow_id END,
		   mobile_uploaded_at = CASE WHEN outcome = 'done' AND w.in_flight = 'mobile'
									 THEN now() ELSE t.mobile_uploaded_at END,
		   needs_operator = NULL, in_flight = NULL, in_flight_since = NULL,
		   attempts = 0, next_attempt_at = NULL,
		   read_attempts = 0, next_read_at = NULL
	 WHERE t.id = w.id
	RETURNING * INTO w;
	RETURN w;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_resolve(bigint, text, uuid) IS
	'Take up a workflow that qes_sync left for an operator: retry its step, or record it as done';

/*
 * Store the statuses that qes_sync read, one statement for a whole batch;
 * returns how many changed.
 */
CREATE FUNCTION @extschema@.qes_sync_record_reads(results @extschema@.qes_status_read[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	changed integer;
BEGIN
	WITH got AS (
		SELECT * FROM unnest(results) AS x WHERE x.status IS NOT NULL
	), stored AS (
		-- "before" is the row as it was: the FROM list sees the old version
		UPDATE @extschema@.qes_workflow AS t
		   SET status = got.status,
			   status_code = got.status_code,
			   errors = got.errors,
			   status_source = 'sync',
			   checked_at = clock_timestamp(),
			   status_changed_at = CASE WHEN t.status IS DISTINCT FROM got.status
										THEN now() ELSE t.status_changed_at END,
			   read_requested_at = NULL,
			   read_attempts = 0,
			   next_read_at = NULL
		  FROM got, @extschema@.qes_workflow AS before
		 WHERE t.workflow_id = got.workflow_id AND before.id = t.id
		RETURNING before.status IS DISTINCT FROM got.status
			   OR before.status_code IS DISTINCT FROM got.status_code AS is_change
	)
	SELECT count(*) FILTER (WHERE is_change) INTO changed FROM stored;
	RETURN changed;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_sync_record_reads(@extschema@.qes_status_read[]) IS
	'qes_sync: store the statuses of a batch of reads; returns how many changed';

/*
 * qes_sync: move every workflow that needs work one or more steps on.
 *
 * 1. Settle what a crashed run left under way.
 * 2. Make the calls that change something at Fourthline, one workflow at a
 *	  time: create, upload the documents and the number, create the SDK
 *	  session; each call is marked in_flight and committed first, and its
 *	  outcome committed after.
 * 3. Read the status of every workflow that is not final, webhooks' first,
 *	  many at once (qes_api_status_many, qes.sync_concurrency at a time).
 * 4. Step 2 again, which now also downloads what became signed.
 *
 * A run takes at most batch_size workflows in each step and stops starting
 * new work after time_budget.  One run at a time: a second one returns at
 * once.  Not SECURITY DEFINER and without SET, since it commits.
 */
CREATE PROCEDURE @extschema@.qes_sync(
	batch_size integer DEFAULT 1000,
	time_budget interval DEFAULT '50 seconds',
	INOUT read integer DEFAULT NULL,
	INOUT advanced integer DEFAULT NULL,
	INOUT signed integer DEFAULT NULL,
	INOUT failed integer DEFAULT NULL,
	INOUT "left" integer DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
	lock_key constant bigint := 7301945238804121;	-- "qes_sync"
	started timestamptz := pg_catalog.clock_timestamp();
	deadline timestamptz := pg_catalog.clock_timestamp() + time_budget;
	concurrency integer := pg_catalog.current_setting('qes.sync_concurrency')::integer;
	run bigint;
	pass integer;
	w record;
	r record;
	step text;
	ok boolean;
	ids uuid[];
	results @extschema@.qes_status_read[];
	err_state text;
	err_message text;
	err_detail text;
	err_hint text;
BEGIN
	read := 0;
	advanced := 0;
	signed := 0;
	failed := 0;
	"left" := 0;

	IF NOT EXISTS (SELECT FROM pg_catalog.pg_locks AS l
					WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid()
					  AND l.classid = (lock_key >> 32)::oid
					  AND l.objid = (lock_key & 4294967295)::oid)
	   AND NOT pg_catalog.pg_try_advisory_lock(lock_key) THEN
		RAISE NOTICE 'qes_sync is already running in another session';
		RETURN;
	END IF;

	INSERT INTO @extschema@.qes_sync_run (started_at) VALUES (started)
	RETURNING id INTO run;
	PERFORM @extschema@.qes_sync_reconcile();
	COMMIT;

	FOR pass IN 1..2 LOOP
		-- the calls that change something at Fourthline
		FOR w IN
			SELECT t.id FROM @extschema@.qes_workflow AS t
			 WHERE t.needs_operator IS NULL AND t.in_flight IS NULL
			   AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= pg_catalog.now())
			   AND @extschema@.qes_sync_next_step(t) IS NOT NULL
			 ORDER BY t.next_attempt_at NULLS FIRST, t.id
			 LIMIT batch_size
		LOOP
			EXIT WHEN pg_catalog.clock_timestamp() >= deadline;
			LOOP
				SELECT @extschema@.qes_sync_next_step(t) INTO step
				  FROM @extschema@.qes_workflow AS t
				 WHERE t.id = w.id AND t.needs_operator IS NULL;
				EXIT WHEN step IS NULL;

				UPDATE @extschema@.qes_workflow AS t
				   SET in_flight = step, in_flight_since = pg_catalog.clock_timestamp()
				 WHERE t.id = w.id;
				COMMIT;

				BEGIN
					PERFORM @extschema@.qes_sync_do(w.id, step);
					advanced := advanced + 1;
					IF step = 'download' THEN
						signed := signed + 1;
					END IF;
					ok := true;
				EXCEPTION WHEN OTHERS THEN
					GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
						err_message = MESSAGE_TEXT, err_detail = PG_EXCEPTION_DETAIL,
						err_hint = PG_EXCEPTION_HINT;
					PERFORM @extschema@.qes_sync_failed(w.id, step, err_state,
														err_message, err_detail, err_hint);
					failed := failed + 1;
					ok := false;
				END;
				COMMIT;
				EXIT WHEN NOT ok;
			END LOOP;
		END LOOP;

		EXIT WHEN pass = 2;

		-- the status of every workflow that is not final, many at once
		LOOP
			EXIT WHEN pg_catalog.clock_timestamp() >= deadline OR read >= batch_size;
			SELECT pg_catalog.array_agg(q.workflow_id) INTO ids
			  FROM (SELECT t.workflow_id FROM @extschema@.qes_workflow AS t
					 WHERE t.workflow_id IS NOT NULL AND NOT t.final
					   AND t.needs_operator IS NULL AND t.in_flight IS NULL
					   AND (t.next_read_at IS NULL OR t.next_read_at <= pg_catalog.now())
					   AND (t.checked_at IS NULL OR t.checked_at < started)
					 ORDER BY t.read_requested_at NULLS LAST, t.checked_at NULLS FIRST
					 LIMIT LEAST(concurrency * 8, batch_size - read)) AS q;
			EXIT WHEN ids IS NULL;

			BEGIN
				SELECT pg_catalog.array_agg(s::@extschema@.qes_status_read) INTO results
				  FROM @extschema@.qes_api_status_many(ids, concurrency) AS s;
			EXCEPTION WHEN OTHERS THEN
				-- the batch as a whole failed (no access token, say)
				GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
					err_message = MESSAGE_TEXT, err_detail = PG_EXCEPTION_DETAIL;
				SELECT pg_catalog.array_agg(ROW(i, NULL, NULL, NULL, err_state, err_message,
									  err_detail, NULL)::@extschema@.qes_status_read)
				  INTO results FROM pg_catalog.unnest(ids) AS i;
			END;

			read := read + pg_catalog.cardinality(results);
			advanced := advanced + @extschema@.qes_sync_record_reads(results);
			FOR r IN SELECT * FROM pg_catalog.unnest(results) AS x
					  WHERE x.status IS NULL
			LOOP
				PERFORM @extschema@.qes_sync_failed(
					(SELECT t.id FROM @extschema@.qes_workflow AS t
					  WHERE t.workflow_id = r.workflow_id),
					'read', r.error_sqlstate, r.error_message, r.error_detail,
					CASE WHEN r.retry_after IS NOT NULL
						 THEN pg_catalog.format('Retry after %s seconds.', r.retry_after) END);
				failed := failed + 1;
			END LOOP;
			COMMIT;
		END LOOP;
	END LOOP;

	SELECT pg_catalog.count(*) INTO "left"
	  FROM @extschema@.qes_workflow AS t
	 WHERE t.needs_operator IS NULL AND t.in_flight IS NULL
	   AND (((t.next_attempt_at IS NULL OR t.next_attempt_at <= pg_catalog.now())
			 AND @extschema@.qes_sync_next_step(t) IS NOT NULL)
			OR (t.workflow_id IS NOT NULL AND NOT t.final
				AND (t.next_read_at IS NULL OR t.next_read_at <= pg_catalog.now())
				AND (t.checked_at IS NULL OR t.checked_at < started)));
	UPDATE @extschema@.qes_sync_run AS s
	   SET finished_at = pg_catalog.clock_timestamp(), read = qes_sync.read,
		   advanced = qes_sync.advanced, signed = qes_sync.signed,
		   failed = qes_sync.failed, "left" = qes_sync."left"
	 WHERE s.id = run;
	COMMIT;
	PERFORM pg_catalog.pg_advisory_unlock(lock_key);
END
$$;

COMMENT ON PROCEDURE @extschema@.qes_sync(integer, interval, integer, integer, integer, integer, integer) IS
	'Move every workflow that needs work on: create, upload, read the status, download; commits after each step';

/*
 * Views for analysts and operators.
 */
CREATE VIEW @extschema@.qes_workflows_by_status AS
SELECT coalesce(w.status, 'queued') AS status,
	   count(*) AS workflows,
	   count(*) FILTER (WHERE w.needs_operator IS NOT NULL) AS need_operator,
	   min(coalesce(w.status_changed_at, w.created_at)) AS oldest_since
  FROM @extschema@.qes_workflow AS w
 GROUP BY 1
 ORDER BY 2 DESC, 1;

COMMENT ON VIEW @extschema@.qes_workflows_by_status IS
	'How many workflows are in each status (queued: not yet created at Fourthline)';

CREATE VIEW @extschema@.qes_signing_times AS
SELECT s.signed_at::date AS day,
	   count(*) AS signed,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY s.signed_at - w.created_at) AS median,
	   percentile_cont(0.9) WITHIN GROUP (ORDER BY s.signed_at - w.created_at) AS p90
  FROM @extschema@.qes_workflow AS w
  JOIN LATERAL (SELECT min(h.changed_at) AS signed_at
				  FROM @extschema@.qes_status_history AS h
				 WHERE h.workflow = w.id AND h.status = 'signed') AS s
	ON s.signed_at IS NOT NULL
 GROUP BY 1
 ORDER BY 1 DESC;

COMMENT ON VIEW @extschema@.qes_signing_times IS
	'Per day of signing: workflows signed, and the median and 90th percentile of the time from creation to signed';

CREATE VIEW @extschema@.qes_stuck AS
SELECT w.id, w.workflow_id, w.partner_client_id,
	   coalesce(w.status, 'queued') AS status,
	   now() - coalesce(w.status_changed_at, w.created_at) AS stuck_for,
	   w.last_error, w.needs_operator
  FROM @extschema@.qes_workflow AS w
 WHERE NOT w.final
   AND coalesce(w.status_changed_at, w.created_at)
	   < now() - coalesce(current_setting('qes.stuck_after', true), '1d')::interval
 ORDER BY 5 DESC;

COMMENT ON VIEW @extschema@.qes_stuck IS
	'Workflows that are not final and have been in one status longer than qes.stuck_after';

CREATE VIEW @extschema@.qes_failures AS
SELECT 'status code' AS kind, coalesce(h.status_code::text, 'none') AS code,
	   count(*) AS failures, max(h.changed_at) AS last_seen
  FROM @extschema@.qes_status_history AS h
 WHERE h.status = 'error'
 GROUP BY 2
UNION ALL
SELECT 'API error', e.sqlstate || coalesce(' ' || e.api_code, ''),
	   count(*), max(e.at)
  FROM @extschema@.qes_sync_error AS e
 GROUP BY 2
 ORDER BY 3 DESC, 1, 2;

COMMENT ON VIEW @extschema@.qes_failures IS
	'Failures by Fourthline status code (status error) and by API error (SQLSTATE and Fourthline''s error code) of qes_sync';

CREATE VIEW @extschema@.qes_queue AS
SELECT w.id, w.partner_client_id, w.workflow_id,
	   coalesce(w.status, 'queued') AS status,
	   CASE WHEN w.needs_operator IS NOT NULL THEN 'needs operator'
			WHEN w.in_flight IS NOT NULL THEN 'in flight'
			WHEN w.next_attempt_at > now() OR w.next_read_at > now() THEN 'retrying'
			ELSE 'due' END AS state,
	   coalesce(w.in_flight, @extschema@.qes_sync_next_step(w), 'read') AS next_step,
	   w.attempts, w.read_attempts,
	   least(w.next_attempt_at, w.next_read_at) AS next_attempt_at,
	   w.last_error_sqlstate, w.last_error,
	   w.needs_operator
  FROM @extschema@.qes_workflow AS w
 WHERE NOT w.final OR w.needs_operator IS NOT NULL OR w.in_flight IS NOT NULL
	OR @extschema@.qes_sync_next_step(w) IS NOT NULL
 ORDER BY 5, 1;

COMMENT ON VIEW @extschema@.qes_queue IS
	'Every workflow qes_sync still has work for: due, retrying, in flight or needing an operator';

CREATE VIEW @extschema@.qes_unverified AS
SELECT w.id, w.workflow_id, w.partner_client_id, d.document_id,
	   d.verify_reason, d.signed_at
  FROM @extschema@.qes_document AS d
  JOIN @extschema@.qes_workflow AS w ON w.id = d.workflow
 WHERE d.verified IS FALSE
 ORDER BY d.signed_at DESC;

COMMENT ON VIEW @extschema@.qes_unverified IS
	'Signed documents that failed verification, with the reason: their workflows need a look';

CREATE FUNCTION @extschema@.qes_verify_document(workflow uuid, document_id text)
RETURNS TABLE (starts_with_original boolean, update_only_signature boolean,
			   byte_range_ok boolean, signature_ok boolean,
			   signer_subject text, signer_issuer text, signer_serial text,
			   valid_from timestamptz, valid_until timestamptz,
			   signing_time timestamptz, chain_trusted boolean,
			   verdict boolean, reason text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT v.*
	  FROM @extschema@.qes_document AS d
	  JOIN @extschema@.qes_workflow AS w ON w.id = d.workflow,
		   @extschema@.qes_verify_signed(d.original, d.signed) AS v
	 WHERE w.workflow_id = $1 AND d.document_id = $2
	   AND d.original IS NOT NULL AND d.signed IS NOT NULL;
$$;

COMMENT ON FUNCTION @extschema@.qes_verify_document(uuid, text) IS
	'Verify a stored signed document against its stored original';

/*
 * Retention: documents and mobile numbers of finished workflows go after
 * qes.retention_days (their sizes, SHA-256 and the history stay); finished
 * workflows with their history, and the sync's logs, go after
 * qes.history_days.  Fit for pg_cron.
 */
CREATE FUNCTION @extschema@.qes_purge(
	retention_days integer DEFAULT NULL, history_days integer DEFAULT NULL)
RETURNS TABLE (documents_cleared bigint, workflows_removed bigint,
			   log_rows_removed bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keep integer := coalesce(retention_days,
							 current_setting('qes.retention_days')::integer);
	hist integer := coalesce(history_days,
							 current_setting('qes.history_days')::integer);
	n bigint;
BEGIN
	documents_cleared := 0;
	workflows_removed := 0;
	log_rows_removed := 0;
	IF keep < 0 OR hist < 0 THEN
		RAISE EXCEPTION 'retention days must not be negative'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	IF keep > 0 THEN
		UPDATE @extschema@.qes_document AS d
		   SET original = NULL, signed = NULL
		  FROM @extschema@.qes_workflow AS w
		 WHERE w.id = d.workflow AND w.final
		   AND coalesce(w.status_changed_at, w.created_at) < now() - make_interval(days => keep)
		   AND (d.original IS NOT NULL OR d.signed IS NOT NULL);
		GET DIAGNOSTICS documents_cleared = ROW_COUNT;
		UPDATE @extschema@.qes_workflow AS w
		   SET mobile_number = NULL, contract = NULL, validation_code = NULL
		 WHERE w.final
		   AND coalesce(w.status_changed_at, w.created_at) < now() - make_interval(days => keep)
		   AND (w.mobile_number IS NOT NULL OR w.contract IS NOT NULL
				OR w.validation_code IS NOT NULL);
	END IF;

	IF hist > 0 THEN
		DELETE FROM @extschema@.qes_workflow AS w
		 WHERE w.final
		   AND coalesce(w.status_changed_at, w.created_at) < now() - make_interval(days => hist);
		GET DIAGNOSTICS workflows_removed = ROW_COUNT;
		DELETE FROM @extschema@.qes_sync_run AS s
		 WHERE s.started_at < now() - make_interval(days => hist);
		GET DIAGNOSTICS n = ROW_COUNT;
		log_rows_removed := n;
		DELETE FROM @extschema@.qes_sync_error AS e
		 WHERE e.at < now() - make_interval(days => hist);
		GET DIAGNOSTICS n = ROW_COUNT;
		log_rows_removed := log_rows_removed + n;
		DELETE FROM @extschema@.qes_webhook AS h
		 WHERE h.received_at < now() - make_interval(days => hist);
		GET DIAGNOSTICS n = ROW_COUNT;
		log_rows_removed := log_rows_removed + n;
	END IF;
	RETURN NEXT;
END
$$;

COMMENT ON FUNCTION @extschema@.qes_purge(integer, integer) IS
	'Remove documents and mobile numbers of finished workflows after qes.retention_days, and finished workflows and logs after qes.history_days';

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
		EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', f);
	END LOOP;
END
$$;
