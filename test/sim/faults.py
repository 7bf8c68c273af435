# faults.py: the ways a test can make the API misbehave, on purpose.
#
# A fault is queued for one endpoint (E1..E8, or "*" for any) and applies to
# the next matching API requests, `times` of them (-1: until cleared).  Faults
# are taken in the order they were queued.  What a fault can do:
#
#   delay_ms     wait before answering (only this connection waits)
#   status       answer with this status instead; the request is then NOT
#                carried out (no workflow made, no token issued).  The body
#                is `body` (with `content_type`, default application/json)
#                or a standard error body
#   body, content_type   replace the answer's body (normal status if no status)
#   headers      add these headers; retry_after sets Retry-After
#   drop         read the request, then close the connection without a word;
#                the request is not carried out unless `process` is true
#   truncate     announce a Content-Length longer than the body sent, then
#                close (the request is carried out; on a 204 there is no body,
#                so only the close remains)
#   malformed    send invalid JSON with the normal status (not on a 204)
#   body_base64  replace the body with these bytes (any bytes, not only UTF-8)
#   body_bytes   pad the body with spaces to this many bytes (JSON stays JSON)
#   header_bytes add a header whose value is this many bytes long
#   gzip         send the body gzip-compressed, with Content-Encoding: gzip
#   chunked      send the body in small chunks (Transfer-Encoding: chunked)
#   stall_ms     send the head and half of the body, wait, then the rest
#   interim      send this 1xx informational answer before the real one
#
# A fault with only delay_ms serves the normal answer after the delay.

import base64
import binascii
import json
import threading

ENDPOINTS = ("E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "*")
MALFORMED_BODY = b'{"errors": [{"code": "simulated_malformed", "message": '

FIELDS = {
    # key: (types accepted, default)
    "endpoint": ((str,), None),
    "status": ((int,), None),
    "body": ((str, dict, list), None),
    "content_type": ((str,), None),
    "headers": ((dict,), None),
    "delay_ms": ((int,), 0),
    "drop": ((bool,), False),
    "process": ((bool,), False),
    "truncate": ((bool,), False),
    "malformed": ((bool,), False),
    "retry_after": ((str, int), None),
    "times": ((int,), 1),
    "body_base64": ((str,), None),
    "body_bytes": ((int,), None),
    "header_bytes": ((int,), None),
    "gzip": ((bool,), False),
    "chunked": ((bool,), False),
    "stall_ms": ((int,), 0),
    "interim": ((int,), None),
}


class FaultError(ValueError):
    """A fault specification that cannot be used; the message says why."""


class Fault:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise FaultError("a fault is a JSON object")
        for key, value in spec.items():
            if key not in FIELDS:
                raise FaultError("unknown fault key %r" % key)
            types = FIELDS[key][0]
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                raise FaultError("fault key %s has the wrong type" % key)
        for key, (_, default) in FIELDS.items():
            setattr(self, key, spec.get(key, default))
        self.spec = dict(spec)
        self.check()

    def check(self):
        if self.endpoint not in ENDPOINTS:
            raise FaultError("endpoint must be one of %s" % ", ".join(ENDPOINTS))
        if self.status is not None and not 100 <= self.status <= 599:
            raise FaultError("status must be 100..599")
        if self.delay_ms < 0:
            raise FaultError("delay_ms must not be negative")
        if self.times == 0 or self.times < -1:
            raise FaultError("times must be -1 (until cleared) or at least 1")
        if self.headers and not all(isinstance(v, (str, int)) for v in self.headers.values()):
            raise FaultError("header values must be strings")
        if self.body_base64 is not None:
            try:
                self.raw_body = base64.b64decode(self.body_base64, validate=True)
            except (binascii.Error, ValueError):
                raise FaultError("body_base64 is not base64")
        for key in ("body_bytes", "header_bytes", "stall_ms"):
            value = getattr(self, key)
            if value is not None and not 0 <= value <= 64 * 1024 * 1024:
                raise FaultError("%s must be 0..67108864" % key)
        if self.interim is not None and not 100 <= self.interim <= 199 or self.interim == 101:
            raise FaultError("interim must be an informational status other than 101")

    def runs_request(self):
        """Whether the request is carried out before the answer is shaped."""
        if self.status is not None:
            return False
        if self.drop:
            return self.process
        return True

    def shape(self, reply, make_reply):
        """
        Return the answer to send: REPLY (the normal one, or None when the
        request was not carried out) changed as this fault says.  MAKE_REPLY
        builds a Reply(status, body, content_type, headers).
        """
        if self.status is not None:
            if self.body is not None:
                body = self.body if isinstance(self.body, str) else json.dumps(self.body)
                reply = make_reply(self.status, body.encode("utf-8"),
                                   self.content_type or "application/json")
            else:
                body = {"errors": [{"code": "simulated_fault",
                                    "message": "fault injected by the simulator"}]}
                reply = make_reply(self.status, json.dumps(body).encode(),
                                   self.content_type or "application/json")
        elif self.body is not None:
            body = self.body if isinstance(self.body, str) else json.dumps(self.body)
            reply.body = body.encode("utf-8")
            reply.content_type = self.content_type or reply.content_type or "application/json"
        elif self.content_type is not None:
            reply.content_type = self.content_type
        if self.malformed and reply.status != 204:
            reply.body = MALFORMED_BODY
            reply.content_type = "application/json"
        if self.body_base64 is not None:
            reply.body = self.raw_body
        if self.body_bytes is not None and len(reply.body) < self.body_bytes:
            reply.body += b" " * (self.body_bytes - len(reply.body))
        if self.header_bytes:
            reply.headers["X-Sim-Padding"] = "p" * self.header_bytes
        for name, value in (self.headers or {}).items():
            reply.headers[name] = str(value)
        if self.retry_after is not None:
            reply.headers["Retry-After"] = str(self.retry_after)
        return reply

    def describe(self):
        d = dict(self.spec)
        d["times_left"] = self.times
        return d


class FaultQueue:
    """The queued faults, taken first come, first served, per endpoint."""

    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []

    def add(self, spec):
        fault = Fault(spec)
        with self.lock:
            self.faults.append(fault)
        return fault.describe()

    def clear(self):
        with self.lock:
            self.faults = []

    def take(self, endpoint):
        """The fault for the next request to ENDPOINT, or None."""
        with self.lock:
            for fault in self.faults:
                if fault.endpoint in (endpoint, "*"):
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def list(self):
        with self.lock:
            return [f.describe() for f in self.faults]
