# control.py: the simulator's own control API, under /_sim/, for tests.
#
# Plays the parts that Fourthline's API cannot be asked to play: the signer in
# the SDK (signer steps), Fourthline's back office (errors and recovery, the
# identity check result, the QTSP), the clock (token lifetime, delays), and a
# misbehaving network (faults).  It also shows what the simulator saw: the
# request log, the webhook payloads, the full state of a workflow.  No
# authentication; JSON in and out; test/simctl is its command-line client.

import json

from messages import Route, find_route, json_reply, refusal_reply
from faults import FaultError
from state import QTSPS, Refusal, is_int

OK = {"ok": True}


def reset(backend, request):
    """Forget everything: workflows, tokens, faults, the logs, the settings."""
    backend.sim.reset()
    backend.faults.clear()
    if backend.switch is not None:
        backend.switch.set_mode("normal")
    backend.requests.clear()
    return json_reply(200, OK)


def get_config(backend, request):
    return json_reply(200, backend.sim.get_config())


def set_config(backend, request):
    return json_reply(200, backend.sim.update_config(request.json()))


def set_eligible(backend, request):
    """The identity check result of a client: {"eligible": bool, "statusCode"?}."""
    body = request.json()
    eligible = body.get("eligible")
    code = body.get("statusCode")
    if not isinstance(eligible, bool):
        raise Refusal(400, "invalid_value", "eligible must be true or false", "eligible")
    if code is not None and not valid_status_code(code):
        raise Refusal(400, "invalid_value", "statusCode must be 0..6000", "statusCode")
    backend.sim.set_eligible(request.params["partnerClientId"], eligible, code)
    return json_reply(200, OK)


def list_workflows(backend, request):
    return json_reply(200, backend.sim.list_workflows())


def get_workflow(backend, request):
    return json_reply(200, backend.sim.describe(request.params["id"]))


def signer(backend, request):
    """{"step": "start" | "consent" | "passcode" | "selfie" | "done"}."""
    step = request.json().get("step")
    if not isinstance(step, str):
        raise Refusal(400, "invalid_value", "step must be a string", "step")
    return json_reply(200, backend.sim.signer_step(request.params["id"], step))


def error(backend, request):
    """{"statusCode": int, "recoverable": bool, "code"?: str, "message"?: str}."""
    body = request.json()
    code = body.get("statusCode")
    recoverable = body.get("recoverable", True)
    if not valid_status_code(code):
        raise Refusal(400, "invalid_value", "statusCode must be 0..6000", "statusCode")
    if not isinstance(recoverable, bool):
        raise Refusal(400, "invalid_value", "recoverable must be true or false",
                      "recoverable")
    return json_reply(200, backend.sim.fail(request.params["id"], code, recoverable,
                                            body.get("code"), body.get("message")))


def recover(backend, request):
    return json_reply(200, backend.sim.recover(request.params["id"]))


def set_qtsp(backend, request):
    qtsp = request.json().get("qtsp")
    if qtsp not in QTSPS:
        raise Refusal(400, "invalid_value", "qtsp must be one of %s" % ", ".join(QTSPS),
                      "qtsp")
    backend.sim.set_qtsp(request.params["id"], qtsp)
    return json_reply(200, OK)


def force_status(backend, request):
    """{"status": any string, "statusCode"?: int}: for statuses a client
    does not know yet."""
    body = request.json()
    status = body.get("status")
    code = body.get("statusCode")
    if not isinstance(status, str) or not status:
        raise Refusal(400, "invalid_value", "status must be a string", "status")
    if code is not None and not valid_status_code(code):
        raise Refusal(400, "invalid_value", "statusCode must be 0..6000", "statusCode")
    return json_reply(200, backend.sim.force_status(request.params["id"], status, code))


def revoke_tokens(backend, request):
    """Every token issued so far becomes invalid: the next call gets 401."""
    backend.sim.revoke_tokens()
    return json_reply(200, OK)


def tokens(backend, request):
    return json_reply(200, backend.sim.token_counts())


def list_faults(backend, request):
    return json_reply(200, backend.faults.list())


def add_faults(backend, request):
    """One fault object, or a list of them, queued in order."""
    try:
        specs = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refusal(400, "invalid_json", "the body must be JSON")
    if not isinstance(specs, list):
        specs = [specs]
    try:
        added = [backend.faults.add(spec) for spec in specs]
    except FaultError as e:
        raise Refusal(400, "invalid_fault", str(e))
    return json_reply(200, added)


def clear_faults(backend, request):
    backend.faults.clear()
    return json_reply(200, OK)


def list_requests(backend, request):
    endpoint = request.query.get("endpoint", [None])[0]
    return json_reply(200, backend.requests.list(endpoint))


def clear_requests(backend, request):
    backend.requests.clear()
    return json_reply(200, OK)


def webhooks(backend, request):
    signature_id = request.query.get("signatureId", [None])[0]
    return json_reply(200, backend.sim.list_webhooks(signature_id))


def set_listener(backend, request):
    """{"mode": "normal" | "refuse" | "silent" | "backlog" | "deaf"} for DIR/switch_port."""
    mode = request.json().get("mode")
    if not isinstance(mode, str) or mode not in backend.switch.MODES:
        raise Refusal(400, "invalid_value", "mode must be one of %s"
                      % ", ".join(backend.switch.MODES), "mode")
    try:
        backend.switch.set_mode(mode)
    except OSError as e:
        raise Refusal(500, "listener_failed", "cannot change the listener: %s" % e)
    return json_reply(200, OK)


def health(backend, request):
    return json_reply(200, OK)


ROUTES = [
    Route("POST", "/_sim/reset", reset),
    Route("GET", "/_sim/config", get_config),
    Route("POST", "/_sim/config", set_config),
    Route("POST", "/_sim/clients/{partnerClientId}/eligible", set_eligible),
    Route("GET", "/_sim/workflows", list_workflows),
    Route("GET", "/_sim/workflows/{id}", get_workflow),
    Route("POST", "/_sim/workflows/{id}/signer", signer),
    Route("POST", "/_sim/workflows/{id}/error", error),
    Route("POST", "/_sim/workflows/{id}/recover", recover),
    Route("POST", "/_sim/workflows/{id}/qtsp", set_qtsp),
    Route("POST", "/_sim/workflows/{id}/status", force_status),
    Route("POST", "/_sim/tokens/revoke", revoke_tokens),
    Route("GET", "/_sim/tokens", tokens),
    Route("GET", "/_sim/faults", list_faults),
    Route("POST", "/_sim/faults", add_faults),
    Route("DELETE", "/_sim/faults", clear_faults),
    Route("GET", "/_sim/requests", list_requests),
    Route("DELETE", "/_sim/requests", clear_requests),
    Route("GET", "/_sim/webhooks", webhooks),
    Route("POST", "/_sim/listener", set_listener),
    Route("GET", "/_sim/health", health),
]


def handle(backend, request):
    """Answer one control request."""
    route, params = find_route(ROUTES, request.method, request.path)
    if route is None:
        return refusal_reply(Refusal(params, "not_found" if params == 404
                                     else "method_not_allowed",
                                     "no control route %s %s" % (request.method,
                                                                 request.path)))
    request.params = params
    try:
        return route.handler(backend, request)
    except Refusal as refusal:
        return refusal_reply(refusal)


def valid_status_code(code):
    return is_int(code) and 0 <= code <= 6000
