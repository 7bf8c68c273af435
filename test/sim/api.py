# api.py: Fourthline's QES API as the simulator serves it, endpoint by endpoint.
#
# ENDPOINTS below is the table of the wire contract (E1..E8 in
# /work/shared/fourthline-api.md): method, path and handler.  Each handler
# checks its input in the order Fourthline would (the workflow exists, its
# status allows the call, then the body), and answers with the status and body
# that the contract gives.  Every endpoint but E1 needs a valid bearer token.
# What happens to a workflow's status lives in state.py.

import json
import re

import multipart
from messages import Reply, Route, empty_reply, json_reply
from state import WORKFLOW_NAMES, Refusal

MAX_DOCUMENTS = 10
MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
MAX_PARTNER_CLIENT_ID = 255
MAX_FILE_NAME = 255
DOCUMENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
MOBILE_NUMBER = re.compile(r"\+[1-9][0-9]{7,14}")   # E.164: 8 to 15 digits

QES = "/v1/qualifiedElectronicSignature/{signatureId}"


# -- E1: create access token ------------------------------------------------

def create_token(sim, request):
    """Client credentials in a JSON body; a bearer token that lives token_ttl."""
    body = request.json()
    if body.get("grant_type") != "client_credentials":
        raise Refusal(400, "unsupported_grant_type",
                      "grant_type must be client_credentials", "grant_type")
    token, ttl = sim.issue_token(body.get("client_id", ""), body.get("client_secret", ""))
    reply = json_reply(200, {"access_token": token, "token_type": "Bearer",
                             "expires_in": ttl})
    reply.headers["Cache-Control"] = "no-store"
    return reply


# -- E2: create workflow ----------------------------------------------------

def create_workflow(sim, request):
    """A new workflow, status `new`; the same partnerClientId, the same clientId."""
    body = request.json()
    name = body.get("workflowName")
    if name not in WORKFLOW_NAMES:
        raise Refusal(400, "invalid_workflow_name", "workflowName must be one of %s"
                      % ", ".join(WORKFLOW_NAMES), "workflowName")
    partner = body.get("partnerClientId")
    if not isinstance(partner, str) or not 1 <= len(partner) <= MAX_PARTNER_CLIENT_ID:
        raise Refusal(400, "invalid_partner_client_id",
                      "partnerClientId must be a string of 1 to %d characters"
                      % MAX_PARTNER_CLIENT_ID, "partnerClientId")
    return json_reply(201, sim.create_workflow(name, partner))


# -- E3: upload documents to sign -------------------------------------------

def upload_documents(sim, request):
    """
    multipart/form-data: a `metadata` JSON part listing the documents, and
    one application/pdf part per document, named by its documentId.  The new
    set replaces the old one.  Only in `new` or `pending`.
    """
    signature_id = request.params["signatureId"]
    sim.check_uploads_allowed(signature_id)
    parts = request.form_parts()
    listed = read_metadata(parts)
    files = document_parts(parts)

    missing = [d for d, _ in listed if d not in files]
    extra = [name for name in files if name not in dict(listed)]
    if missing or extra:
        raise Refusal(400, "documents_mismatch",
                      "metadata and parts disagree: no part for [%s], not in metadata [%s]"
                      % (", ".join(missing), ", ".join(extra)), "metadata")

    documents = []
    for document_id, file_name in listed:
        check_document(document_id, files[document_id])
        documents.append((document_id, file_name, files[document_id].data))
    sim.upload_documents(signature_id, documents)
    return empty_reply(204)


def read_metadata(parts):
    """The metadata part's documents as [(documentId, fileName)], checked."""
    found = [p for p in parts if p.name == "metadata"]
    if len(found) != 1:
        raise Refusal(400, "metadata_missing", "exactly one part must be named metadata",
                      "metadata")
    try:
        metadata = json.loads(found[0].data.decode("utf-8"))
        entries = metadata["documents"]
        if not isinstance(entries, list):
            raise TypeError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise Refusal(400, "invalid_metadata",
                      'metadata must be {"documents": [{"documentId", "fileName"}, ...]}',
                      "metadata")
    if not 1 <= len(entries) <= MAX_DOCUMENTS:
        raise Refusal(400, "invalid_document_count", "send 1 to %d documents"
                      % MAX_DOCUMENTS, "documents")

    listed = []
    for i, entry in enumerate(entries):
        field = "documents[%d]" % i
        if not isinstance(entry, dict):
            raise Refusal(400, "invalid_metadata", "each document is an object", field)
        document_id = entry.get("documentId")
        if not isinstance(document_id, str) or not DOCUMENT_ID.fullmatch(document_id):
            raise Refusal(400, "invalid_document_id",
                          "documentId must be 1 to 64 characters of [A-Za-z0-9._-]",
                          field + ".documentId")
        if document_id in dict(listed):
            raise Refusal(400, "duplicate_document_id",
                          "documentId %s is listed twice" % document_id,
                          field + ".documentId")
        file_name = entry.get("fileName")
        if not isinstance(file_name, str) or not 1 <= len(file_name) <= MAX_FILE_NAME:
            raise Refusal(400, "invalid_file_name",
                          "fileName must be a string of 1 to %d characters" % MAX_FILE_NAME,
                          field + ".fileName")
        listed.append((document_id, file_name))
    return listed


def document_parts(parts):
    """The parts other than metadata, by name; each must be named, once."""
    files = {}
    for part in parts:
        if part.name == "metadata":
            continue
        if part.disposition != "form-data" or not part.name:
            raise Refusal(400, "invalid_part",
                          "every part needs Content-Disposition: form-data; name=...")
        if part.name in files:
            raise Refusal(400, "duplicate_part", "two parts are named %s" % part.name,
                          part.name)
        files[part.name] = part
    return files


def check_document(document_id, part):
    if part.content_type != "application/pdf":
        raise Refusal(400, "invalid_document_type",
                      "document %s must be sent as application/pdf" % document_id,
                      document_id)
    if len(part.data) == 0:
        raise Refusal(400, "empty_document", "document %s is empty" % document_id,
                      document_id)
    if len(part.data) > MAX_DOCUMENT_BYTES:
        raise Refusal(400, "document_too_large", "document %s is larger than 25 MiB"
                      % document_id, document_id)
    if not part.data.startswith(b"%PDF-"):
        raise Refusal(400, "not_a_pdf", "document %s does not start with %%PDF-"
                      % document_id, document_id)


# -- E4: upload mobile number -----------------------------------------------

def upload_mobile_number(sim, request):
    """An E.164 number for the SMS passcode.  Only in `new` or `pending`."""
    signature_id = request.params["signatureId"]
    sim.check_uploads_allowed(signature_id)
    number = request.json().get("mobileNumber")
    if not isinstance(number, str) or not MOBILE_NUMBER.fullmatch(number):
        raise Refusal(400, "invalid_mobile_number",
                      "mobileNumber must be E.164: +, then 8 to 15 digits",
                      "mobileNumber")
    sim.set_mobile_number(signature_id, number)
    return empty_reply(204)


# -- E5: create SDK session -------------------------------------------------

def create_sdk_session(sim, request):
    """A new validation code for the signer's SDK; it revokes the last one."""
    code = sim.create_session(request.params["workflowId"])
    return json_reply(201, {"validationCode": code})


# -- E6: get signature status -----------------------------------------------

def get_status(sim, request):
    return json_reply(200, sim.status(request.params["signatureId"]))


# -- E7: get signed document ------------------------------------------------

def get_signed_document(sim, request):
    """
    The signed PDF, once `signed`: by default multipart/mixed with a short
    text/plain message and the application/pdf part; with the setting
    signed_answer=pdf, the bare PDF.
    """
    document_id, file_name, signed = sim.signed_document(
        request.params["signatureId"], request.params["documentId"])
    disposition = "attachment; " + multipart.filename_param(file_name)
    if sim.get_config()["signed_answer"] == "pdf":
        return Reply(200, signed, "application/pdf",
                     {"Content-Disposition": disposition})
    message = ("Document %s has been signed with a qualified electronic signature."
               % document_id)
    content_type, body = multipart.build("mixed", [
        ({"Content-Type": "text/plain; charset=utf-8"}, message.encode("utf-8")),
        ({"Content-Type": "application/pdf", "Content-Disposition": disposition},
         signed),
    ])
    return Reply(200, body, content_type)


# -- E8: get InfoCert contract ----------------------------------------------

def get_contract(sim, request):
    """Once `signed`: the InfoCert contract PDF, or 204 when Namirial signed."""
    contract = sim.contract(request.params["signatureId"])
    if contract is None:
        return empty_reply(204)
    return Reply(200, contract, "application/pdf",
                 {"Content-Disposition": 'attachment; filename="contract.pdf"'})


ENDPOINTS = [
    Route("POST", "/v1/oauth2/token", create_token, name="E1", needs_token=False),
    Route("POST", "/v1/workflows", create_workflow, name="E2", needs_token=True),
    Route("POST", QES + "/documents", upload_documents, name="E3", needs_token=True),
    Route("PUT", QES + "/mobileNumber", upload_mobile_number, name="E4", needs_token=True),
    Route("POST", "/v1/workflows/{workflowId}/validationcode", create_sdk_session,
          name="E5", needs_token=True),
    Route("GET", QES + "/status", get_status, name="E6", needs_token=True),
    Route("GET", QES + "/documents/{documentId}", get_signed_document, name="E7",
          needs_token=True),
    Route("GET", QES + "/contract", get_contract, name="E8", needs_token=True),
]


def check_token(sim, request):
    """Refuse with 401 unless the request carries a valid bearer token."""
    token = request.bearer_token()
    if token is None:
        raise Refusal(401, "missing_token", "send Authorization: Bearer <access_token>")
    if sim.token_state(token) != "valid":
        raise Refusal(401, "invalid_token", "the access token is invalid or has expired")


def serve(sim, route, request):
    """Carry out REQUEST on ROUTE; every refusal becomes an error answer."""
    if route.needs_token:
        check_token(sim, request)
    return route.handler(sim, request)
