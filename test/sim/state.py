# state.py: what Fourthline remembers, and how a signature moves through its
# statuses.
#
# One Simulation holds the access tokens, the workflows with their documents,
# mobile numbers and SDK sessions, the per-client identity verification result,
# the settings, and the webhook payloads that each status change would send.
# The HTTP layers (api.py for Fourthline's endpoints, control.py for the test
# control API) validate their input and then call in here; anything refused
# because of the current state raises Refusal with the HTTP status to answer.
#
# The life of a signature:
#
#   new --(identity check: eligible, or an idv_qes workflow)--> pending
#   new --(identity check: not eligible)----------------------> kyc_required
#   pending --(documents, number and SDK session; signer starts)--> user_consent_required
#   user_consent_required --(signer approves the documents)--> confirmation_required
#   confirmation_required --(signer enters the SMS passcode)--> signed
#   pending | user_consent_required --(SDK wants a new selfie)--> selfie_required
#   selfie_required --(signer starts again)--> user_consent_required
#   any but signed --(failure)--> error --(recovery, if recoverable)--> the status before
#
# The identity check runs new_delay_ms after the workflow is created and is
# noticed on the next access (reads are how time passes here).  Every thread
# of the HTTP server goes through one lock.

import hashlib
import hmac
import secrets
import threading
import time
import uuid

import makepdf
import pdfsign

# The statuses that Fourthline documents, in the order a signature meets them.
STATUSES = ("new", "pending", "kyc_required", "selfie_required",
            "user_consent_required", "confirmation_required", "signed", "error")

UPLOAD_STATUSES = ("new", "pending")     # E3 and E4 are allowed here
SESSION_STATUSES = ("pending", "selfie_required", "user_consent_required",
                    "confirmation_required")    # E5 is allowed here

WORKFLOW_NAMES = ("qes", "idv_qes")
QTSPS = ("namirial", "infocert")

# The signer's steps in the SDK, as the control API drives them:
# step -> (statuses it may start from, status it leads to, its status code).
SIGNER_STEPS = {
    "selfie": (("pending", "user_consent_required"), "selfie_required", 3105),
    "start": (("pending", "selfie_required"), "user_consent_required", None),
    "consent": (("user_consent_required",), "confirmation_required", None),
    "passcode": (("confirmation_required",), "signed", None),
}
STEPS_TO_SIGNED = ("start", "consent", "passcode")

DEFAULT_CONFIG = {
    "new_delay_ms": 0,          # time from `new` to the identity check result
    "token_ttl": 3600,          # lifetime in seconds of tokens issued from now
    "signed_answer": "multipart",   # E7 as "multipart" (mixed) or bare "pdf"
    "qtsp": "namirial",         # QTSP of workflows created from now
    "latency_ms": 0,            # added before every API answer
}
CONFIG_CHOICES = {"signed_answer": ("multipart", "pdf"), "qtsp": QTSPS}

# Fixed namespace: the same partnerClientId gives the same clientId, always.
CLIENT_NAMESPACE = uuid.UUID("6f1c2a4e-5b7d-4c1e-9a3f-2d8e0b6c4a11")


class Refusal(Exception):
    """A request refused: HTTP status, error code, message, optional field."""

    def __init__(self, status, code, message, field=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class Document:
    def __init__(self, document_id, file_name, data):
        self.document_id = document_id
        self.file_name = file_name
        self.data = data
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.signed = None

    def describe(self):
        d = {"documentId": self.document_id, "fileName": self.file_name,
             "size": len(self.data), "sha256": self.sha256}
        if self.signed is not None:
            d["signed_size"] = len(self.signed)
            d["signed_sha256"] = hashlib.sha256(self.signed).hexdigest()
        return d


class Workflow:
    def __init__(self, seq, workflow_name, partner_client_id, qtsp, ready_at):
        self.seq = seq
        self.id = str(uuid.uuid4())
        self.client_id = str(uuid.uuid5(CLIENT_NAMESPACE, partner_client_id))
        self.workflow_name = workflow_name
        self.partner_client_id = partner_client_id
        self.qtsp = qtsp
        self.ready_at = ready_at        # when the identity check is done
        self.status = None
        self.status_code = None
        self.errors = []
        self.recoverable = None         # set while in `error`
        self.before_error = None        # (status, status_code, errors)
        self.documents = []
        self.mobile_number = None
        self.mobile_set_count = 0
        self.validation_code = None
        self.sessions = 0
        self.contract = None

    def payload(self):
        """The status as E6 answers it and as a webhook carries it."""
        p = {"signatureId": self.id, "status": self.status}
        if self.status_code is not None:
            p["statusCode"] = self.status_code
        p["errors"] = [dict(e) for e in self.errors]
        return p

    def is_final(self):
        return self.status == "signed" or (self.status == "error" and not self.recoverable)

    def document(self, document_id):
        for doc in self.documents:
            if doc.document_id == document_id:
                return doc
        return None

    def describe(self):
        return {
            "workflowId": self.id,
            "clientId": self.client_id,
            "partnerClientId": self.partner_client_id,
            "workflowName": self.workflow_name,
            "status": self.status,
            "statusCode": self.status_code,
            "errors": [dict(e) for e in self.errors],
            "recoverable": self.recoverable,
            "documents": [d.describe() for d in self.documents],
            "mobile_set_count": self.mobile_set_count,
            "mobile_last2": self.mobile_number[-2:] if self.mobile_number else None,
            "sessions": self.sessions,
            "qtsp": self.qtsp,
            "seq": self.seq,
        }

    def summary(self):
        return {"workflowId": self.id, "partnerClientId": self.partner_client_id,
                "workflowName": self.workflow_name, "status": self.status,
                "documents": len(self.documents),
                "mobile_set_count": self.mobile_set_count,
                "sessions": self.sessions, "seq": self.seq}


class Simulation:
    """Everything Fourthline knows, behind one lock."""

    def __init__(self, client_id, client_secret):
        self.client_id = client_id
        self.client_secret = client_secret
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.config = dict(DEFAULT_CONFIG)
            self.tokens = {}            # token -> {"expires": t, "revoked": b}
            self.tokens_issued = 0
            self.eligibility = {}       # partnerClientId -> (eligible, code)
            self.workflows = {}         # workflowId -> Workflow
            self.workflow_seq = 0
            self.webhooks = []

    # -- settings ---------------------------------------------------------

    def get_config(self):
        with self.lock:
            return dict(self.config)

    def update_config(self, changes):
        """Merge CHANGES into the settings after checking every key."""
        for key, value in changes.items():
            if key not in DEFAULT_CONFIG:
                raise Refusal(400, "unknown_setting", "unknown setting %r" % key, key)
            if key in CONFIG_CHOICES:
                if value not in CONFIG_CHOICES[key]:
                    raise Refusal(400, "invalid_setting", "%s must be one of %s"
                                  % (key, ", ".join(CONFIG_CHOICES[key])), key)
            elif not is_int(value) or value < 0:
                raise Refusal(400, "invalid_setting",
                              "%s must be a non-negative integer" % key, key)
        with self.lock:
            self.config.update(changes)
            return dict(self.config)

    # -- E1: access tokens ------------------------------------------------

    def issue_token(self, client_id, client_secret):
        """Return (token, ttl) for the right API key, else refuse with 401."""
        good = (hmac.compare_digest(str(client_id).encode(), self.client_id.encode())
                and hmac.compare_digest(str(client_secret).encode(),
                                        self.client_secret.encode()))
        if not good:
            raise Refusal(401, "invalid_client", "the client id or secret is wrong")
        with self.lock:
            ttl = self.config["token_ttl"]
            token = secrets.token_urlsafe(32)
            self.tokens[token] = {"expires": time.monotonic() + ttl, "revoked": False}
            self.tokens_issued += 1
            return token, ttl

    def token_state(self, token):
        """'valid', 'expired', 'revoked' or 'unknown'."""
        with self.lock:
            t = self.tokens.get(token)
            if t is None:
                return "unknown"
            if t["revoked"]:
                return "revoked"
            if time.monotonic() >= t["expires"]:
                return "expired"
            return "valid"

    def revoke_tokens(self):
        with self.lock:
            for t in self.tokens.values():
                t["revoked"] = True

    def token_counts(self):
        with self.lock:
            now = time.monotonic()
            valid = sum(1 for t in self.tokens.values()
                        if not t["revoked"] and now < t["expires"])
            return {"issued": self.tokens_issued, "valid": valid}

    # -- identity verification --------------------------------------------

    def set_eligible(self, partner_client_id, eligible, status_code=None):
        with self.lock:
            self.eligibility[partner_client_id] = (eligible, status_code)

    # -- status changes ---------------------------------------------------

    def move(self, wf, status, status_code=None, errors=None):
        """Set WF's status and record the webhook that the change sends."""
        wf.status = status
        wf.status_code = status_code
        wf.errors = errors or []
        self.webhooks.append(wf.payload())

    def advance(self, wf):
        """Let time pass: finish the identity check once it is due."""
        if wf.status != "new" or time.monotonic() < wf.ready_at:
            return
        eligible, code = self.eligibility.get(wf.partner_client_id, (True, None))
        if wf.workflow_name == "idv_qes" or eligible:
            self.move(wf, "pending")
        else:
            self.move(wf, "kyc_required", code)

    def workflow(self, workflow_id):
        """The workflow with that id, brought up to date, or a 404."""
        wf = self.workflows.get(str(workflow_id).lower())
        if wf is None:
            raise Refusal(404, "not_found", "no workflow or signature has this id")
        self.advance(wf)
        return wf

    # -- E2 to E8 ---------------------------------------------------------

    def create_workflow(self, workflow_name, partner_client_id):
        with self.lock:
            self.workflow_seq += 1
            ready_at = time.monotonic() + self.config["new_delay_ms"] / 1000.0
            wf = Workflow(self.workflow_seq, workflow_name, partner_client_id,
                          self.config["qtsp"], ready_at)
            self.workflows[wf.id] = wf
            self.move(wf, "new")
            return {"workflowId": wf.id, "clientId": wf.client_id}

    def check_uploads_allowed(self, workflow_id):
        """404 or 409 now, before a large body is looked at."""
        with self.lock:
            require_status(self.workflow(workflow_id), UPLOAD_STATUSES,
                           "uploads are allowed")

    def upload_documents(self, workflow_id, documents):
        """Replace the documents; DOCUMENTS is [(documentId, fileName, bytes)]."""
        with self.lock:
            wf = self.workflow(workflow_id)
            require_status(wf, UPLOAD_STATUSES, "documents can be uploaded")
            wf.documents = [Document(*d) for d in documents]

    def set_mobile_number(self, workflow_id, number):
        with self.lock:
            wf = self.workflow(workflow_id)
            require_status(wf, UPLOAD_STATUSES, "the mobile number can be set")
            wf.mobile_number = number
            wf.mobile_set_count += 1

    def create_session(self, workflow_id):
        """A new SDK session: a fresh validation code that replaces the last."""
        with self.lock:
            wf = self.workflow(workflow_id)
            if wf.is_final():
                raise Refusal(422, "workflow_final",
                              "the workflow is in a final status (%s)" % wf.status)
            if not wf.documents:
                raise Refusal(409, "documents_missing", "upload the documents first")
            if wf.mobile_number is None:
                raise Refusal(409, "mobile_number_missing",
                              "upload the mobile number first")
            require_status(wf, SESSION_STATUSES, "an SDK session can be created")
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            wf.validation_code = "".join(secrets.choice(alphabet) for _ in range(8))
            wf.sessions += 1
            return wf.validation_code

    def status(self, workflow_id):
        with self.lock:
            return self.workflow(workflow_id).payload()

    def signed_document(self, workflow_id, document_id):
        """Return (documentId, fileName, signed bytes); 404 or 409 otherwise."""
        with self.lock:
            wf = self.workflow(workflow_id)
            doc = wf.document(document_id)
            if doc is None:
                raise Refusal(404, "document_not_found",
                              "the signature has no document with this id")
            require_status(wf, ("signed",), "the signed document can be read")
            return doc.document_id, doc.file_name, doc.signed

    def contract(self, workflow_id):
        """The InfoCert contract, or None when Namirial signed."""
        with self.lock:
            wf = self.workflow(workflow_id)
            require_status(wf, ("signed",), "the contract can be read")
            return wf.contract if wf.qtsp == "infocert" else None

    # -- what the signer and Fourthline's back office do (control API) ----

    def signer_step(self, workflow_id, step):
        """Take one signer step, or with 'done' every step left to `signed`."""
        with self.lock:
            wf = self.workflow(workflow_id)
            if step == "done":
                if wf.status == "signed":
                    raise Refusal(409, "step_not_allowed", "the signature is already signed")
                for s in STEPS_TO_SIGNED:
                    if wf.status in SIGNER_STEPS[s][0]:
                        self.take_step(wf, s)
                if wf.status != "signed":
                    raise Refusal(409, "step_not_allowed",
                                  "cannot sign from status %s" % wf.status)
            elif step in SIGNER_STEPS:
                self.take_step(wf, step)
            else:
                raise Refusal(400, "unknown_step", "unknown signer step %r" % step, "step")
            return wf.payload()

    def take_step(self, wf, step):
        sources, target, code = SIGNER_STEPS[step]
        if wf.status not in sources:
            raise Refusal(409, "step_not_allowed", "step %s is not allowed in status %s"
                          % (step, wf.status))
        if wf.status == "pending":
            if not wf.documents or wf.mobile_number is None or wf.sessions == 0:
                raise Refusal(409, "not_ready", "the signer needs documents, "
                              "a mobile number and an SDK session first")
        if target == "signed":
            self.sign(wf)
        self.move(wf, target, code)

    def sign(self, wf):
        """Make the signed PDFs and the QTSP contract, as signing completes."""
        for doc in wf.documents:
            doc.signed = pdfsign.sign_pdf(doc.data, "Fourthline simulator, client "
                                          + wf.client_id)
        wf.contract = makepdf.contract_pdf(wf.id)

    def fail(self, workflow_id, status_code, recoverable, code=None, message=None):
        """Put the signature in `error`; a recoverable one can go back."""
        with self.lock:
            wf = self.workflow(workflow_id)
            if wf.status in ("signed", "error"):
                raise Refusal(409, "step_not_allowed",
                              "cannot fail a signature in status %s" % wf.status)
            wf.before_error = (wf.status, wf.status_code, wf.errors)
            wf.recoverable = bool(recoverable)
            error = {"code": code or "signature_failed",
                     "message": message or "simulated failure, status code %d" % status_code}
            self.move(wf, "error", status_code, [error])
            return wf.payload()

    def recover(self, workflow_id):
        with self.lock:
            wf = self.workflow(workflow_id)
            if wf.status != "error":
                raise Refusal(409, "not_in_error", "the signature is not in error")
            if not wf.recoverable:
                raise Refusal(409, "unrecoverable", "this error is final")
            status, code, errors = wf.before_error
            wf.before_error = None
            wf.recoverable = None
            self.move(wf, status, code, errors)
            return wf.payload()

    def force_status(self, workflow_id, status, status_code=None):
        """Set any status, even one Fourthline might add later (for tests)."""
        with self.lock:
            wf = self.workflow(workflow_id)
            if status == "signed" and wf.status != "signed":
                self.sign(wf)
            self.move(wf, status, status_code)
            return wf.payload()

    def set_qtsp(self, workflow_id, qtsp):
        with self.lock:
            self.workflow(workflow_id).qtsp = qtsp

    # -- what the control API reads ---------------------------------------

    def describe(self, workflow_id):
        with self.lock:
            return self.workflow(workflow_id).describe()

    def list_workflows(self):
        with self.lock:
            out = []
            for wf in sorted(self.workflows.values(), key=lambda w: w.seq):
                self.advance(wf)
                out.append(wf.summary())
            return out

    def list_webhooks(self, signature_id=None):
        with self.lock:
            return [dict(w) for w in self.webhooks
                    if signature_id is None or w["signatureId"] == signature_id.lower()]


def require_status(wf, allowed, what):
    if wf.status not in allowed:
        raise Refusal(409, "invalid_status", "%s only in status %s; it is %s"
                      % (what, " or ".join(allowed), wf.status))


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
