# requestlog.py: the record of every API request the simulator received.
#
# Tests read it through GET /_sim/requests to check what the client sent:
# which endpoint, whether it carried a bearer token (never the token itself),
# the body's size and SHA-256, the JSON body with the client secret masked,
# and for multipart uploads each part's name, filename, type, size and SHA-256.
# Control API calls (/_sim/...) are not recorded.

import copy
import hashlib
import threading

MAX_ENTRIES = 20000     # oldest entries are dropped past this; seq keeps counting
MASKED_KEYS = ("client_secret",)


def mask(value):
    """A copy of a parsed JSON value with secret keys replaced by '***'."""
    if isinstance(value, dict):
        return {k: "***" if k in MASKED_KEYS else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


class RequestLog:
    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        with self.lock:
            self.entries = []
            self.seq = 0

    def record(self, request, endpoint, route, token_valid):
        """Add an entry for REQUEST (a server.Request) and return it."""
        auth = request.headers.get("Authorization")
        if auth is None:
            scheme = "none"
        elif auth[:7].lower() == "bearer ":
            scheme = "bearer"
        else:
            scheme = "other"
        entry = {
            "connection": getattr(request, "connection", None),
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "route": route,
            "authorization": scheme,
            "token_valid": token_valid if scheme == "bearer" else None,
            "content_type": request.headers.get("Content-Type"),
            "body_size": len(request.body),
            "body_sha256": hashlib.sha256(request.body).hexdigest(),
            "json": None,
            "parts": None,
            "answered_status": None,
            "fault": None,
        }
        parsed = request.json_or_none()
        if parsed is not None:
            entry["json"] = mask(parsed)
        parts = request.form_parts_or_none()
        if parts is not None:
            entry["parts"] = [{"name": p.name, "filename": p.filename,
                               "content_type": p.content_type, "size": len(p.data),
                               "sha256": hashlib.sha256(p.data).hexdigest()}
                              for p in parts]
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            del self.entries[:-MAX_ENTRIES]
        return entry

    def answered(self, entry, status, fault=None):
        with self.lock:
            entry["answered_status"] = status
            entry["fault"] = fault

    def list(self, endpoint=None):
        with self.lock:
            return [copy.deepcopy(e) for e in self.entries
                    if endpoint is None or e["endpoint"] == endpoint]
