# messages.py: one HTTP request and one HTTP answer, as the routes see them.
#
# Request gives the routes what they need from what came over the wire: the
# path, the path parameters that the route table matched, the headers, the
# body, and the body parsed as JSON or as multipart/form-data (each parsed at
# most once).  Reply is what a route returns; server.py puts it on the wire.
# Error answers always have Fourthline's shape:
#   {"errors": [{"code": "...", "message": "...", "field": "..."}]}

import json
import re
import urllib.parse

import multipart
from state import Refusal

UNSET = object()


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = urllib.parse.parse_qs(split.query)
        self.headers = headers
        self.body = body
        self.params = {}
        self._json = UNSET
        self._parts = UNSET

    def bearer_token(self):
        auth = self.headers.get("Authorization") or ""
        if auth[:7].lower() != "bearer ":
            return None
        return auth[7:].strip() or None

    def json(self):
        """The body as a JSON object, or a 400 refusal."""
        if self._json is UNSET:
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                self._json = None
        if not isinstance(self._json, dict):
            raise Refusal(400, "invalid_json", "the body must be a JSON object")
        return self._json

    def json_or_none(self):
        try:
            return self.json()
        except Refusal:
            return None

    def form_parts(self):
        """The body as multipart/form-data parts, or a 400 refusal."""
        if self._parts is UNSET:
            mime, params = multipart.parse_header_value(
                self.headers.get("Content-Type") or "")
            if mime != "multipart/form-data":
                self._parts = Refusal(400, "invalid_content_type",
                                      "the body must be multipart/form-data")
            else:
                try:
                    self._parts = multipart.parse(self.body, params.get("boundary"))
                except multipart.MultipartError as e:
                    self._parts = Refusal(400, "invalid_multipart", str(e))
        if isinstance(self._parts, Refusal):
            raise self._parts
        return self._parts

    def form_parts_or_none(self):
        try:
            return self.form_parts()
        except Refusal:
            return None


class Reply:
    def __init__(self, status, body=b"", content_type=None, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})


def json_reply(status, value):
    return Reply(status, json.dumps(value).encode("utf-8"), "application/json")


def error_reply(status, code, message, field=None, headers=None):
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    reply = json_reply(status, {"errors": [error]})
    reply.headers.update(headers or {})
    return reply


def refusal_reply(refusal):
    return error_reply(refusal.status, refusal.code, refusal.message, refusal.field)


def empty_reply(status=204):
    return Reply(status)


class Route:
    """A method and a path template such as '/v1/workflows/{workflowId}'."""

    def __init__(self, method, template, handler, **extra):
        self.method = method
        self.template = template
        self.handler = handler
        self.__dict__.update(extra)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self.regex = re.compile(pattern + r"\Z")

    def match(self, path):
        m = self.regex.match(path)
        if m is None:
            return None
        return {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}


def find_route(routes, method, path):
    """
    Return (route, params) for METHOD and PATH, (None, 404) when no template
    matches the path, or (None, 405) when one matches with another method.
    """
    path_matched = False
    for route in routes:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        path_matched = True
    return None, 405 if path_matched else 404
