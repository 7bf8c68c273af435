#!/usr/bin/env python3
# selftest.py: proves that the simulator keeps the wire contract.
#
# Starts fourthline_sim.py in a temporary directory and drives it over HTTPS:
# every endpoint E1..E8 with its refusals, the state machine, every control
# verb through test/simctl, each kind of fault, keep-alive, 64 concurrent
# connections, the expired and wrong-host ports, and makepdf.py's output
# through pdfinfo.  Stops the simulator with SIGTERM at the end and checks it
# went.  Run:  python3 test/sim/selftest.py [-v]
# The whole run is bounded: a watchdog ends it (and the simulator) after
# WATCHDOG_SECONDS.

import gzip
import hashlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True      # keep the source tree clean
sys.path.insert(0, HERE)

import makepdf          # noqa: E402
import multipart        # noqa: E402

SIMULATOR = os.path.join(HERE, "fourthline_sim.py")
SIMCTL = os.path.join(os.path.dirname(HERE), "simctl")
MAKEPDF = os.path.join(HERE, "makepdf.py")
WATCHDOG_SECONDS = 600
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
QES = "/v1/qualifiedElectronicSignature/"

SIM = {}        # proc, dir, port, ports, ca, log


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def read_text(path):
    return read_bytes(path).decode("utf-8", "replace")


# -- the simulator process ----------------------------------------------------

def start_simulator():
    state_dir = tempfile.mkdtemp(prefix="qes-sim-selftest-")
    log = open(os.path.join(state_dir, "stderr.log"), "wb")
    proc = subprocess.Popen(
        [sys.executable, SIMULATOR, "--state-dir", state_dir, "--port", "0",
         "--plain-http-port", "0"],
        stdout=subprocess.PIPE, stderr=log)
    SIM.update(proc=proc, dir=state_dir, log=log)
    deadline = time.monotonic() + 60
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 256)
            if not chunk:
                break
            line += chunk
    m = re.fullmatch(rb"READY https://127\.0\.0\.1:(\d+)\n", line)
    if not m:
        stop_simulator()
        raise RuntimeError("simulator did not get ready: %r" % line)
    SIM["ready_line"] = line.decode().strip()
    SIM["port"] = int(m.group(1))
    SIM["ca"] = os.path.join(state_dir, "ca.pem")
    SIM["ports"] = {name: int(read_text(os.path.join(state_dir, name)))
                    for name in ("port", "expired_port", "wronghost_port", "plain_port",
                                 "switch_port")}


def stop_simulator():
    """SIGTERM the simulator; return its exit status (None if it had to be
    killed)."""
    proc = SIM.get("proc")
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return None


def watchdog():
    sys.stderr.write("selftest: watchdog: %ds passed, stopping\n" % WATCHDOG_SECONDS)
    stop_simulator()
    os._exit(2)


def setUpModule():
    start_simulator()


def tearDownModule():
    code = stop_simulator()
    SIM["log"].close()
    pid_left = os.path.exists(os.path.join(SIM["dir"], "pid"))
    log = read_text(os.path.join(SIM["dir"], "stderr.log"))
    shutil.rmtree(SIM["dir"], ignore_errors=True)
    if code != 0 or pid_left:
        raise AssertionError("simulator did not stop cleanly (exit %r, pid file left %s)\n%s"
                             % (code, pid_left, log[-2000:]))
    if "test-secret" in log or "Bearer " in log or "+3161234" in log:
        raise AssertionError("a secret, token or phone number reached the log")


# -- clients ------------------------------------------------------------------

def tls_context(ca=None):
    """Verify against the test CA, strictly (as Python 3.13 does by default)."""
    ctx = ssl.create_default_context(cafile=ca or SIM["ca"])
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    return ctx


class Client:
    """One keep-alive HTTPS connection to the main port, with a token."""

    def __init__(self, port=None):
        self.conn = http.client.HTTPSConnection(
            "127.0.0.1", port or SIM["port"], context=tls_context(), timeout=30)
        self.token = None

    def close(self):
        self.conn.close()

    def call(self, method, path, body=None, headers=None, auth=True):
        """Return (status, headers, body bytes)."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        if auth and self.token and not path.startswith("/_sim/"):
            headers["Authorization"] = "Bearer " + self.token
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp, resp.read()

    def json(self, method, path, body=None, **kw):
        status, resp, data = self.call(method, path, body, **kw)
        return status, (json.loads(data) if data else None)

    def get_token(self, secret="test-secret"):
        status, answer = self.json("POST", "/v1/oauth2/token", {
            "grant_type": "client_credentials", "client_id": "test-client",
            "client_secret": secret}, auth=False)
        if status == 200:
            self.token = answer["access_token"]
        return status, answer

    def ctl(self, method, path, body=None):
        status, answer = self.json(method, "/_sim/" + path, body)
        if not 200 <= status < 300:
            raise AssertionError("control %s %s: %d %r" % (method, path, status, answer))
        return answer


def form_data(documents, metadata=None, boundary="----qes-selftest-7d1f"):
    """
    A multipart/form-data body; DOCUMENTS is [(documentId, fileName, bytes)]
    or [(documentId, fileName, bytes, content_type, disposition_tail)].
    """
    if metadata is None:
        metadata = {"documents": [{"documentId": d[0], "fileName": d[1]} for d in documents]}
    out = bytearray()
    out += b"--" + boundary.encode() + b"\r\n"
    out += b'Content-Disposition: form-data; name="metadata"\r\n'
    out += b"Content-Type: application/json\r\n\r\n"
    out += json.dumps(metadata).encode() + b"\r\n"
    for doc in documents:
        document_id, file_name, data = doc[:3]
        content_type = doc[3] if len(doc) > 3 else "application/pdf"
        tail = doc[4] if len(doc) > 4 else '; filename="%s"' % file_name
        out += b"--" + boundary.encode() + b"\r\n"
        out += ('Content-Disposition: form-data; name="%s"%s\r\n' % (document_id, tail)).encode()
        out += ("Content-Type: %s\r\n\r\n" % content_type).encode()
        out += data + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return "multipart/form-data; boundary=" + boundary, bytes(out)


def simctl(*args, env=None):
    full_env = dict(os.environ, QES_SIM_DIR=SIM["dir"])
    full_env.update(env or {})
    return subprocess.run([sys.executable, SIMCTL] + list(args), capture_output=True,
                          text=True, timeout=60, env=full_env)


def pdfinfo(path):
    if shutil.which("pdfinfo") is None:
        raise unittest.SkipTest("pdfinfo (poppler-utils) is not installed")
    return subprocess.run(["pdfinfo", path], capture_output=True, text=True, timeout=30)


PDF_A = makepdf.document_pdf(2, title="document A")
PDF_B = makepdf.document_pdf(1, binary=True, title="document B")


class SimTestCase(unittest.TestCase):
    def setUp(self):
        self.c = Client()
        self.c.ctl("POST", "reset")
        self.assertEqual(self.c.get_token()[0], 200)

    def tearDown(self):
        self.c.close()

    def workflow(self, partner="client-1", name="qes"):
        status, answer = self.c.json("POST", "/v1/workflows",
                                     {"workflowName": name, "partnerClientId": partner})
        self.assertEqual(status, 201, answer)
        return answer["workflowId"]

    def upload(self, wf, documents=None, **kw):
        content_type, body = form_data(documents or [("doc-a", "a.pdf", PDF_A),
                                                     ("doc-b", "b.pdf", PDF_B)], **kw)
        status, _, data = self.c.call("POST", QES + wf + "/documents", body,
                                      {"Content-Type": content_type})
        return status, (json.loads(data) if data else None)

    def mobile(self, wf, number="+31612345678"):
        return self.c.json("PUT", QES + wf + "/mobileNumber", {"mobileNumber": number})

    def session(self, wf):
        return self.c.json("POST", "/v1/workflows/%s/validationcode" % wf)

    def ready_workflow(self, **kw):
        """A pending workflow with documents, number and one SDK session."""
        wf = self.workflow(**kw)
        self.assertEqual(self.upload(wf)[0], 204)
        self.assertEqual(self.mobile(wf)[0], 204)
        self.assertEqual(self.session(wf)[0], 201)
        return wf

    def status(self, wf):
        status, answer = self.c.json("GET", QES + wf + "/status")
        self.assertEqual(status, 200, answer)
        return answer

    def state(self, wf):
        return self.c.ctl("GET", "workflows/" + wf)

    def assertError(self, result, status, code=None, field=None):
        got_status, answer = result
        self.assertEqual(got_status, status, answer)
        error = answer["errors"][0]
        self.assertIn("message", error)
        if code:
            self.assertEqual(error["code"], code)
        if field:
            self.assertEqual(error.get("field"), field)


# -- TLS and transport --------------------------------------------------------

class TestTransport(SimTestCase):
    def handshake(self, port, ca=None, host="127.0.0.1"):
        conn = http.client.HTTPSConnection(host, port, context=tls_context(ca), timeout=10)
        try:
            conn.request("GET", "/_sim/health")
            return conn.getresponse().status
        finally:
            conn.close()

    def test_main_port_verifies_by_ip_and_name(self):
        self.assertEqual(self.handshake(SIM["port"]), 200)
        self.assertEqual(self.handshake(SIM["port"], host="localhost"), 200)

    def test_unrelated_ca_fails(self):
        with self.assertRaises(ssl.SSLCertVerificationError) as cm:
            self.handshake(SIM["port"], ca=os.path.join(SIM["dir"], "other-ca.pem"))
        self.assertIn("unable to get local issuer", cm.exception.verify_message)

    def test_expired_port_fails(self):
        with self.assertRaises(ssl.SSLCertVerificationError) as cm:
            self.handshake(SIM["ports"]["expired_port"])
        self.assertIn("expired", cm.exception.verify_message)

    def test_wronghost_port_fails(self):
        with self.assertRaises(ssl.SSLCertVerificationError) as cm:
            self.handshake(SIM["ports"]["wronghost_port"])
        self.assertIn("mismatch", cm.exception.verify_message.lower())

    def test_plain_http_port(self):
        conn = http.client.HTTPConnection("127.0.0.1", SIM["ports"]["plain_port"], timeout=10)
        conn.request("GET", "/_sim/health")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()

    def test_state_directory(self):
        d = SIM["dir"]
        self.assertEqual(os.stat(d).st_mode & 0o777, 0o755)
        for name in ("ca.pem", "other-ca.pem", "port", "expired_port", "wronghost_port", "pid"):
            self.assertEqual(os.stat(os.path.join(d, name)).st_mode & 0o777, 0o644, name)
        self.assertEqual(int(read_text(os.path.join(d, "pid"))), SIM["proc"].pid)
        self.assertEqual(SIM["ready_line"], "READY https://127.0.0.1:%d" % SIM["port"])
        self.assertEqual(SIM["ports"]["port"], SIM["port"])

    def test_keep_alive(self):
        wf = self.workflow()
        sock = self.c.conn.sock
        for _ in range(20):
            self.status(wf)
            self.assertIs(self.c.conn.sock, sock, "the connection was not reused")
        # a 4xx answer keeps the connection open too
        self.assertEqual(self.c.call("GET", QES + "nope/status")[0], 404)
        self.status(wf)
        self.assertIs(self.c.conn.sock, sock)

    def test_chunked_request_body(self):
        body = json.dumps({"workflowName": "qes", "partnerClientId": "chunky"}).encode()
        self.c.conn.putrequest("POST", "/v1/workflows")
        self.c.conn.putheader("Authorization", "Bearer " + self.c.token)
        self.c.conn.putheader("Content-Type", "application/json")
        self.c.conn.putheader("Transfer-Encoding", "chunked")
        self.c.conn.endheaders()
        for piece in (body[:10], body[10:]):
            self.c.conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.c.conn.send(b"0\r\n\r\n")
        resp = self.c.conn.getresponse()
        self.assertEqual(resp.status, 201, resp.read())
        resp.read()

    def test_unknown_path_and_method(self):
        self.assertError(self.c.json("GET", "/v1/nothing"), 404)
        self.assertError(self.c.json("DELETE", "/v1/workflows"), 405)
        self.assertError(self.c.json("GET", "/_sim/nothing"), 404)

    def test_concurrent_connections(self):
        wf = self.workflow()
        token = self.c.token
        threads, per_connection = 64, 8
        barrier = threading.Barrier(threads, timeout=30)
        results, lock = [], threading.Lock()

        def worker():
            conn = http.client.HTTPSConnection("127.0.0.1", SIM["port"],
                                               context=tls_context(), timeout=30)
            got = []
            try:
                conn.connect()
                barrier.wait()          # all 64 connections open at once
                for _ in range(per_connection):
                    conn.request("GET", QES + wf + "/status",
                                 headers={"Authorization": "Bearer " + token})
                    resp = conn.getresponse()
                    resp.read()
                    got.append(resp.status)
            except Exception as e:      # noqa: BLE001 - reported below
                got.append(repr(e))
            finally:
                conn.close()
            with lock:
                results.extend(got)

        started = time.monotonic()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(60)
        elapsed = time.monotonic() - started
        self.assertEqual(results, [200] * threads * per_connection)
        rate = len(results) / elapsed
        sys.stderr.write("\n  [%d requests on %d connections in %.2fs: %.0f/s] "
                         % (len(results), threads, elapsed, rate))
        self.assertGreater(rate, 100)


# -- E1 and tokens ------------------------------------------------------------

class TestTokens(SimTestCase):
    def test_token_answer(self):
        status, answer = self.c.get_token()
        self.assertEqual(status, 200)
        self.assertEqual(answer["token_type"], "Bearer")
        self.assertEqual(answer["expires_in"], 3600)
        self.assertGreaterEqual(len(answer["access_token"]), 20)

    def test_bad_credentials(self):
        self.assertError(self.c.get_token(secret="wrong"), 401, "invalid_client")
        self.assertError(self.c.json("POST", "/v1/oauth2/token", {
            "grant_type": "password", "client_id": "test-client",
            "client_secret": "test-secret"}, auth=False), 400, "unsupported_grant_type")
        self.assertError(self.c.json("POST", "/v1/oauth2/token", b"not json",
                                     auth=False), 400, "invalid_json")

    def test_missing_and_wrong_token(self):
        self.assertError(self.c.json("POST", "/v1/workflows", {}, auth=False), 401,
                         "missing_token")
        self.c.token = "not-a-token"
        status, resp, _ = self.c.call("GET", QES + "x/status")
        self.assertEqual(status, 401)
        self.assertIn("Bearer", resp.getheader("WWW-Authenticate"))

    def test_expiry(self):
        self.c.ctl("POST", "config", {"token_ttl": 1})
        status, answer = self.c.get_token()
        self.assertEqual(answer["expires_in"], 1)
        wf = self.workflow()
        time.sleep(1.2)
        self.assertError(self.c.json("GET", QES + wf + "/status"), 401, "invalid_token")
        self.c.ctl("POST", "config", {"token_ttl": 3600})
        self.c.get_token()
        self.status(wf)

    def test_revoke(self):
        wf = self.workflow()
        self.c.ctl("POST", "tokens/revoke")
        self.assertError(self.c.json("GET", QES + wf + "/status"), 401, "invalid_token")
        self.c.get_token()
        self.status(wf)
        self.assertEqual(self.c.ctl("GET", "tokens"), {"issued": 2, "valid": 1})


# -- E2 and the identity check ------------------------------------------------

class TestWorkflows(SimTestCase):
    def test_create(self):
        status, a = self.c.json("POST", "/v1/workflows",
                                {"workflowName": "qes", "partnerClientId": "p-1"})
        self.assertEqual(status, 201)
        self.assertRegex(a["workflowId"], GUID)
        self.assertRegex(a["clientId"], GUID)
        _, b = self.c.json("POST", "/v1/workflows",
                           {"workflowName": "idv_qes", "partnerClientId": "p-1"})
        _, c = self.c.json("POST", "/v1/workflows",
                           {"workflowName": "qes", "partnerClientId": "p-2"})
        self.assertEqual(a["clientId"], b["clientId"])
        self.assertNotEqual(a["clientId"], c["clientId"])
        self.assertNotEqual(a["workflowId"], b["workflowId"])
        self.c.ctl("POST", "reset")             # same clientId even after a reset
        self.c.get_token()
        _, d = self.c.json("POST", "/v1/workflows",
                           {"workflowName": "qes", "partnerClientId": "p-1"})
        self.assertEqual(a["clientId"], d["clientId"])

    def test_refusals(self):
        self.assertError(self.c.json("POST", "/v1/workflows", {
            "workflowName": "sign", "partnerClientId": "p"}), 400,
            "invalid_workflow_name", "workflowName")
        for partner in ("", "x" * 256, 7, None):
            self.assertError(self.c.json("POST", "/v1/workflows", {
                "workflowName": "qes", "partnerClientId": partner}), 400,
                "invalid_partner_client_id", "partnerClientId")
        self.workflow(partner="x" * 255)
        self.assertError(self.c.json("POST", "/v1/workflows", b"[1,2]"), 400)

    def test_new_then_pending(self):
        wf = self.workflow()
        self.assertEqual(self.status(wf), {"signatureId": wf, "status": "pending",
                                           "errors": []})
        hooks = self.c.ctl("GET", "webhooks")
        self.assertEqual([h["status"] for h in hooks], ["new", "pending"])
        self.assertTrue(all(h["signatureId"] == wf for h in hooks))

    def test_new_delay(self):
        self.c.ctl("POST", "config", {"new_delay_ms": 400})
        wf = self.workflow()
        self.assertEqual(self.status(wf)["status"], "new")
        self.assertEqual(self.upload(wf)[0], 204)       # allowed while new
        self.assertEqual(self.mobile(wf)[0], 204)
        self.assertError(self.session(wf), 409, "invalid_status")
        time.sleep(0.5)
        self.assertEqual(self.status(wf)["status"], "pending")

    def test_kyc_required(self):
        self.c.ctl("POST", "clients/unverified/eligible", {"eligible": False,
                                                           "statusCode": 4010})
        wf = self.workflow(partner="unverified")
        self.assertEqual(self.status(wf), {"signatureId": wf, "status": "kyc_required",
                                           "statusCode": 4010, "errors": []})
        self.assertError(self.upload(wf), 409, "invalid_status")
        self.assertError(self.mobile(wf), 409, "invalid_status")
        idv = self.workflow(partner="unverified", name="idv_qes")
        self.assertEqual(self.status(idv)["status"], "pending")
        self.c.ctl("POST", "clients/unverified/eligible", {"eligible": True})
        self.assertEqual(self.status(self.workflow(partner="unverified"))["status"],
                         "pending")


# -- E3 -------------------------------------------------------------------------

class TestDocuments(SimTestCase):
    def test_upload_and_replace(self):
        wf = self.workflow()
        self.c.ctl("DELETE", "requests")
        utf8_tail = "; filename=\"x.pdf\"; filename*=UTF-8''%C3%9Cbersicht%20%E2%82%AC.pdf"
        docs = [("doc-a", "a.pdf", PDF_A),
                ("doc.B_2", "Übersicht €.pdf", PDF_B, "application/pdf", utf8_tail)]
        self.assertEqual(self.upload(wf, docs), (204, None))
        state = self.state(wf)
        self.assertEqual([(d["documentId"], d["fileName"], d["size"], d["sha256"])
                          for d in state["documents"]],
                         [("doc-a", "a.pdf", len(PDF_A), hashlib.sha256(PDF_A).hexdigest()),
                          ("doc.B_2", "Übersicht €.pdf", len(PDF_B),
                           hashlib.sha256(PDF_B).hexdigest())])
        entry = self.c.ctl("GET", "requests?endpoint=E3")[0]
        self.assertEqual([(p["name"], p["filename"], p["content_type"], p["size"])
                          for p in entry["parts"]],
                         [("metadata", None, "application/json", entry["parts"][0]["size"]),
                          ("doc-a", "a.pdf", "application/pdf", len(PDF_A)),
                          ("doc.B_2", "Übersicht €.pdf", "application/pdf", len(PDF_B))])
        self.assertEqual(entry["parts"][2]["sha256"], hashlib.sha256(PDF_B).hexdigest())
        self.assertEqual(self.upload(wf, [("only", "o.pdf", PDF_B)])[0], 204)
        self.assertEqual([d["documentId"] for d in self.state(wf)["documents"]], ["only"])

    def test_ten_documents_and_limits(self):
        wf = self.workflow()
        docs = [("d%d" % i, "d%d.pdf" % i, PDF_A) for i in range(10)]
        self.assertEqual(self.upload(wf, docs)[0], 204)
        self.assertError(self.upload(wf, docs + [("d10", "x.pdf", PDF_A)]), 400,
                         "invalid_document_count")
        self.assertError(self.upload(wf, [], metadata={"documents": []}), 400,
                         "invalid_document_count")
        self.assertEqual(self.upload(wf, [("i" * 64, "x.pdf", PDF_A)])[0], 204)

    def test_size_limit(self):
        wf = self.workflow()
        limit = 25 * 1024 * 1024
        self.assertEqual(self.upload(wf, [("big", "big.pdf",
                                           makepdf.document_pdf(1, size=limit))])[0], 204)
        self.assertError(self.upload(wf, [("big", "big.pdf",
                                           makepdf.document_pdf(1, size=limit + 1))]),
                         400, "document_too_large")
        self.assertEqual(self.upload(wf, [("tiny", "t.pdf", b"%PDF-")])[0], 204)

    def test_refusals(self):
        wf = self.workflow()
        cases = [
            ([("bad id", "x.pdf", PDF_A)], None, "invalid_document_id"),
            ([("x" * 65, "x.pdf", PDF_A)], None, "invalid_document_id"),
            ([("a", "x.pdf", PDF_A), ("a", "y.pdf", PDF_A)], None, "duplicate_document_id"),
            ([("a", "x.pdf", b"hello")], None, "not_a_pdf"),
            ([("a", "x.pdf", b"")], None, "empty_document"),
            ([("a", "x.pdf", PDF_A, "text/plain")], None, "invalid_document_type"),
            ([("a", "x.pdf", PDF_A)], {"documents": [{"documentId": "b", "fileName": "x"}]},
             "documents_mismatch"),
            ([("a", "x.pdf", PDF_A), ("b", "y.pdf", PDF_A)],
             {"documents": [{"documentId": "a", "fileName": "x"}]}, "documents_mismatch"),
            ([("a", "x.pdf", PDF_A)], {"documents": [{"documentId": "a"}]},
             "invalid_file_name"),
            ([("a", "x.pdf", PDF_A)], {"files": []}, "invalid_metadata"),
        ]
        for docs, metadata, code in cases:
            with self.subTest(code=code, docs=[d[0] for d in docs]):
                self.assertError(self.upload(wf, docs, metadata=metadata), 400, code)
        # not multipart at all, and multipart without its close delimiter
        path = QES + wf + "/documents"
        self.assertError(self.c.json("POST", path, {"documents": []}), 400,
                         "invalid_content_type")
        content_type, body = form_data([("a", "a.pdf", PDF_A)])
        status, _, data = self.c.call("POST", path, body[:-30], {"Content-Type": content_type})
        self.assertEqual((status, json.loads(data)["errors"][0]["code"]),
                         (400, "invalid_multipart"))
        # nothing was stored by the refused uploads
        self.assertEqual(self.state(wf)["documents"], [])

    def test_binary_bytes_survive(self):
        wf = self.workflow()
        tricky = PDF_B + b"\r\n--" + b"----qes-selftest-7d1fX\r\n\x00\xff"
        self.assertEqual(self.upload(wf, [("b", "b.pdf", tricky)])[0], 204)
        self.assertEqual(self.state(wf)["documents"][0]["sha256"],
                         hashlib.sha256(tricky).hexdigest())

    def test_unknown_and_wrong_status(self):
        self.assertError(self.upload("00000000-0000-4000-8000-000000000000"), 404)
        wf = self.ready_workflow()
        self.c.ctl("POST", "workflows/%s/signer" % wf, {"step": "start"})
        self.assertError(self.upload(wf), 409, "invalid_status")


# -- E4 -------------------------------------------------------------------------

class TestMobileNumber(SimTestCase):
    def test_valid_numbers(self):
        wf = self.workflow()
        for number in ("+31612345678", "+12345678", "+123456789012345"):
            self.assertEqual(self.mobile(wf, number), (204, None))
        state = self.state(wf)
        self.assertEqual(state["mobile_set_count"], 3)
        self.assertEqual(state["mobile_last2"], "45")

    def test_invalid_numbers(self):
        wf = self.workflow()
        for number in ("0612345678", "+0612345678", "+1234567", "+1234567890123456",
                       "+31612345678\n", "+31 612345678", "31612345678", 31612345678, None):
            with self.subTest(number=number):
                self.assertError(self.mobile(wf, number), 400, "invalid_mobile_number",
                                 "mobileNumber")
        self.assertEqual(self.state(wf)["mobile_set_count"], 0)

    def test_wrong_status(self):
        wf = self.ready_workflow()
        self.c.ctl("POST", "workflows/%s/signer" % wf, {"step": "done"})
        self.assertError(self.mobile(wf), 409, "invalid_status")
        self.assertError(self.mobile("nope"), 404)


# -- E5 -------------------------------------------------------------------------

class TestSessions(SimTestCase):
    def test_preconditions_and_codes(self):
        wf = self.workflow()
        self.assertError(self.session(wf), 409, "documents_missing")
        self.upload(wf)
        self.assertError(self.session(wf), 409, "mobile_number_missing")
        self.mobile(wf)
        status, first = self.session(wf)
        self.assertEqual(status, 201)
        self.assertRegex(first["validationCode"], r"\A[A-Z0-9]{8}\Z")
        _, second = self.session(wf)
        self.assertRegex(second["validationCode"], r"\A[A-Z0-9]{8}\Z")
        self.assertEqual(self.state(wf)["sessions"], 2)
        self.c.ctl("POST", "workflows/%s/signer" % wf, {"step": "done"})
        self.assertError(self.session(wf), 422, "workflow_final")
        self.assertError(self.session("nope"), 404)


# -- the state machine (control API), E6 --------------------------------------

class TestStateMachine(SimTestCase):
    def step(self, wf, step):
        return self.c.json("POST", "/_sim/workflows/%s/signer" % wf, {"step": step})

    def test_steps_in_order(self):
        wf = self.workflow()
        self.assertError(self.step(wf, "start"), 409, "not_ready")
        self.upload(wf)
        self.mobile(wf)
        self.session(wf)
        self.assertError(self.step(wf, "consent"), 409, "step_not_allowed")
        self.assertError(self.step(wf, "dance"), 400, "unknown_step")
        for step, status in (("start", "user_consent_required"),
                             ("consent", "confirmation_required"),
                             ("passcode", "signed")):
            self.assertEqual(self.step(wf, step)[1]["status"], status)
            self.assertEqual(self.status(wf)["status"], status)
        self.assertError(self.step(wf, "passcode"), 409)
        hooks = self.c.ctl("GET", "webhooks?signatureId=" + wf)
        self.assertEqual([h["status"] for h in hooks],
                         ["new", "pending", "user_consent_required",
                          "confirmation_required", "signed"])
        self.assertEqual(set(hooks[0]), {"signatureId", "status", "errors"})

    def test_done_and_selfie(self):
        wf = self.ready_workflow()
        self.assertEqual(self.step(wf, "selfie")[1]["status"], "selfie_required")
        self.assertEqual(self.status(wf)["statusCode"], 3105)
        self.assertEqual(self.step(wf, "done")[1]["status"], "signed")
        self.assertNotIn("statusCode", self.status(wf))
        self.assertError(self.step(wf, "done"), 409)

    def test_recoverable_error(self):
        wf = self.ready_workflow()
        self.step(wf, "start")
        self.c.ctl("POST", "workflows/%s/error" % wf, {"statusCode": 3541,
                                                       "recoverable": True})
        s = self.status(wf)
        self.assertEqual((s["status"], s["statusCode"]), ("error", 3541))
        self.assertEqual(len(s["errors"]), 1)
        self.assertIn("code", s["errors"][0])
        self.assertError(self.step(wf, "consent"), 409)
        self.c.ctl("POST", "workflows/%s/recover" % wf)
        self.assertEqual(self.status(wf), {"signatureId": wf, "errors": [],
                                           "status": "user_consent_required"})
        self.assertError(self.c.json("POST", "/_sim/workflows/%s/recover" % wf), 409,
                         "not_in_error")

    def test_final_error(self):
        wf = self.ready_workflow()
        self.c.ctl("POST", "workflows/%s/error" % wf, {"statusCode": 4000,
                                                       "recoverable": False})
        self.assertError(self.c.json("POST", "/_sim/workflows/%s/recover" % wf), 409,
                         "unrecoverable")
        self.assertError(self.session(wf), 422, "workflow_final")
        self.assertEqual(self.status(wf)["status"], "error")
        self.assertError(self.c.json("POST", "/_sim/workflows/%s/error" % wf,
                                     {"statusCode": 9999, "recoverable": True}), 400)

    def test_force_status_and_unknown_id(self):
        wf = self.workflow()
        self.c.ctl("POST", "workflows/%s/status" % wf, {"status": "video_required",
                                                        "statusCode": 77})
        self.assertEqual(self.status(wf)["status"], "video_required")
        self.assertError(self.c.json("GET", QES + "nope/status"), 404, "not_found")
        self.assertError(self.c.json("GET", "/_sim/workflows/nope"), 404)

    def test_listing(self):
        a = self.workflow(partner="a")
        b = self.ready_workflow(partner="b")
        listed = self.c.ctl("GET", "workflows")
        self.assertEqual([(w["workflowId"], w["partnerClientId"], w["status"],
                           w["documents"], w["sessions"]) for w in listed],
                         [(a, "a", "pending", 0, 0), (b, "b", "pending", 2, 1)])
        state = self.state(b)
        for key in ("status", "statusCode", "partnerClientId", "workflowName", "documents",
                    "mobile_set_count", "mobile_last2", "sessions", "qtsp"):
            self.assertIn(key, state)


# -- E7 and E8 -----------------------------------------------------------------

class TestSignedDocuments(SimTestCase):
    def sign(self, **kw):
        wf = self.ready_workflow(**kw)
        self.c.ctl("POST", "workflows/%s/signer" % wf, {"step": "done"})
        return wf

    def check_signed(self, original, signed):
        self.assertTrue(signed.startswith(original))
        update = signed[len(original):]
        for marker in (b"/Type /Sig", b"/Filter /Adobe.PPKLite",
                       b"/SubFilter /ETSI.CAdES.detached", b"/ByteRange [", b"/Contents <",
                       b"/Prev %d" % int(re.findall(rb"startxref\s+(\d+)", original)[-1]),
                       b"\nxref\n", b"trailer"):
            self.assertIn(marker, update)
        self.assertTrue(signed.rstrip().endswith(b"%%EOF"))
        path = os.path.join(SIM["dir"], "signed-check.pdf")
        with open(path, "wb") as f:
            f.write(signed)
        info = pdfinfo(path)
        self.assertEqual(info.returncode, 0, info.stderr)

    def test_before_signed(self):
        wf = self.ready_workflow()
        self.assertError(self.c.json("GET", QES + wf + "/documents/doc-a"), 409)
        self.assertError(self.c.json("GET", QES + wf + "/contract"), 409)
        self.assertError(self.c.json("GET", QES + wf + "/documents/nope"), 404,
                         "document_not_found")

    def test_multipart_answer(self):
        wf = self.sign()
        status, resp, body = self.c.call("GET", QES + wf + "/documents/doc-b")
        self.assertEqual(status, 200)
        mime, params = multipart.parse_header_value(resp.getheader("Content-Type"))
        self.assertEqual(mime, "multipart/mixed")
        parts = multipart.parse(body, params["boundary"])
        self.assertEqual([p.content_type for p in parts], ["text/plain", "application/pdf"])
        self.assertIn(b"signed", parts[0].data)
        self.check_signed(PDF_B, parts[1].data)
        self.assertEqual(self.state(wf)["documents"][1]["signed_sha256"],
                         hashlib.sha256(parts[1].data).hexdigest())
        self.assertError(self.c.json("GET", QES + wf + "/documents/nope"), 404)

    def test_bare_pdf_answer(self):
        self.c.ctl("POST", "config", {"signed_answer": "pdf"})
        wf = self.sign()
        status, resp, body = self.c.call("GET", QES + wf + "/documents/doc-a")
        self.assertEqual((status, resp.getheader("Content-Type")), (200, "application/pdf"))
        self.check_signed(PDF_A, body)

    def test_original_without_startxref(self):
        wf = self.workflow()
        self.upload(wf, [("raw", "raw.pdf", b"%PDF-1.7 but nothing else")])
        self.mobile(wf)
        self.session(wf)
        self.c.ctl("POST", "workflows/%s/signer" % wf, {"step": "done"})
        self.c.ctl("POST", "config", {"signed_answer": "pdf"})
        _, _, body = self.c.call("GET", QES + wf + "/documents/raw")
        self.assertTrue(body.startswith(b"%PDF-1.7 but nothing else"))
        self.assertNotIn(b"/Prev", body)
        self.assertIn(b"/ByteRange", body)

    def test_contract(self):
        wf = self.sign()
        status, resp, body = self.c.call("GET", QES + wf + "/contract")
        self.assertEqual((status, body), (204, b""))
        self.c.ctl("POST", "workflows/%s/qtsp" % wf, {"qtsp": "infocert"})
        status, resp, body = self.c.call("GET", QES + wf + "/contract")
        self.assertEqual((status, resp.getheader("Content-Type")), (200, "application/pdf"))
        path = os.path.join(SIM["dir"], "contract-check.pdf")
        with open(path, "wb") as f:
            f.write(body)
        info = pdfinfo(path)
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("Pages:           2", info.stdout)
        self.c.ctl("POST", "config", {"qtsp": "infocert"})
        wf2 = self.sign(partner="other")
        self.assertEqual(self.c.call("GET", QES + wf2 + "/contract")[0], 200)
        self.assertEqual(self.state(wf2)["qtsp"], "infocert")


# -- faults and latency -------------------------------------------------------

class TestFaults(SimTestCase):
    def fault(self, **spec):
        return self.c.ctl("POST", "faults", spec)

    def test_status_times_then_normal(self):
        wf = self.workflow()
        self.fault(endpoint="E6", status=500, times=2)
        got = [self.c.call("GET", QES + wf + "/status")[0] for _ in range(3)]
        self.assertEqual(got, [500, 500, 200])

    def test_order_and_until_cleared(self):
        wf = self.workflow()
        self.fault(endpoint="E6", status=500)
        self.fault(endpoint="E6", status=503, times=-1)
        got = [self.c.call("GET", QES + wf + "/status")[0] for _ in range(4)]
        self.assertEqual(got, [500, 503, 503, 503])
        self.assertEqual(len(self.c.ctl("GET", "faults")), 1)
        self.c.ctl("DELETE", "faults")
        self.assertEqual(self.c.call("GET", QES + wf + "/status")[0], 200)

    def test_refused_request_is_not_carried_out(self):
        self.fault(endpoint="E2", status=503)
        self.assertError(self.c.json("POST", "/v1/workflows", {
            "workflowName": "qes", "partnerClientId": "p"}), 503, "simulated_fault")
        self.assertEqual(self.c.ctl("GET", "workflows"), [])

    def test_body_headers_retry_after(self):
        wf = self.workflow()
        self.fault(endpoint="E6", status=502, body="<html>bad gateway</html>",
                   content_type="text/html", headers={"X-Request-Id": "r-1"})
        status, resp, body = self.c.call("GET", QES + wf + "/status")
        self.assertEqual((status, resp.getheader("Content-Type"), body,
                          resp.getheader("X-Request-Id")),
                         (502, "text/html", b"<html>bad gateway</html>", "r-1"))
        self.fault(endpoint="E7", status=429, retry_after="1")
        status, resp, _ = self.c.call("GET", QES + wf + "/documents/x")
        self.assertEqual((status, resp.getheader("Retry-After")), (429, "1"))

    def test_token_endpoint_faults(self):
        self.fault(endpoint="E1", status=503)
        self.assertEqual(self.c.get_token()[0], 503)
        self.fault(endpoint="E1", drop=True)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.c.get_token()
        self.c.close()
        self.assertEqual(self.c.ctl("GET", "tokens")["issued"], 1)
        self.assertEqual(self.c.get_token()[0], 200)
        log = self.c.ctl("GET", "requests?endpoint=E1")
        self.assertEqual([e["answered_status"] for e in log], [200, 503, None, 200])
        self.assertEqual(log[2]["fault"], {"endpoint": "E1", "drop": True})

    def test_drop_with_process(self):
        self.fault(endpoint="E2", drop=True, process=True)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.workflow()
        self.c.close()
        self.assertEqual(len(self.c.ctl("GET", "workflows")), 1)

    def test_truncate(self):
        wf = self.workflow()
        self.fault(endpoint="E6", truncate=True)
        with self.assertRaises(http.client.IncompleteRead):
            self.c.call("GET", QES + wf + "/status")
        self.c.close()
        self.status(wf)

    def test_malformed(self):
        wf = self.workflow()
        self.fault(endpoint="E6", malformed=True)
        status, _, body = self.c.call("GET", QES + wf + "/status")
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_delay_blocks_only_its_connection(self):
        wf = self.workflow()
        self.fault(endpoint="E6", delay_ms=1500)
        result = {}

        def slow():
            c = Client()
            c.token = self.c.token
            started = time.monotonic()
            result["status"] = c.call("GET", QES + wf + "/status")[0]
            result["elapsed"] = time.monotonic() - started
            c.close()

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.2)
        started = time.monotonic()
        self.status(wf)
        fast = time.monotonic() - started
        t.join(10)
        self.assertEqual(result["status"], 200)
        self.assertGreaterEqual(result["elapsed"], 1.5)
        self.assertLess(fast, 0.5)

    def test_any_endpoint_and_latency(self):
        wf = self.workflow()
        self.fault(endpoint="*", status=500)
        self.assertEqual(self.c.call("GET", QES + wf + "/contract")[0], 500)
        self.c.ctl("POST", "config", {"latency_ms": 300})
        started = time.monotonic()
        self.status(wf)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        started = time.monotonic()
        self.c.ctl("GET", "config")             # control calls have no latency
        self.assertLess(time.monotonic() - started, 0.25)

    def raw_exchange(self, request):
        """Send REQUEST bytes on a fresh TLS connection; return all it gets."""
        sock = tls_context().wrap_socket(
            socket.create_connection(("127.0.0.1", SIM["port"]), timeout=10),
            server_hostname="127.0.0.1")
        with sock:
            sock.sendall(request)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return data
                data += chunk

    def test_interim_chunked_gzip(self):
        wf = self.workflow()
        self.fault(endpoint="E6", interim=103, chunked=True)
        answer = self.raw_exchange(("GET %s%s/status HTTP/1.1\r\nHost: x\r\n"
                                    "Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
                                    % (QES, wf, self.c.token)).encode())
        self.assertTrue(answer.startswith(b"HTTP/1.1 103 "), answer[:40])
        self.assertIn(b"\r\n\r\nHTTP/1.1 200 OK\r\n", answer)
        self.assertIn(b"Transfer-Encoding: chunked", answer)
        self.assertTrue(answer.endswith(b"\r\n0\r\n\r\n"))
        self.fault(endpoint="E6", gzip=True)
        status, resp, body = self.c.call("GET", QES + wf + "/status")
        self.assertEqual(resp.getheader("Content-Encoding"), "gzip")
        self.assertEqual(json.loads(gzip.decompress(body))["status"], "pending")

    def test_sizes_raw_bytes_and_stall(self):
        wf = self.workflow()
        self.fault(endpoint="E6", body_bytes=5000, header_bytes=3000)
        status, resp, body = self.c.call("GET", QES + wf + "/status")
        self.assertEqual(len(body), 5000)
        self.assertEqual(json.loads(body)["status"], "pending")
        self.assertEqual(len(resp.getheader("X-Sim-Padding")), 3000)
        self.fault(endpoint="E6", body_base64="/v8A")
        self.assertEqual(self.c.call("GET", QES + wf + "/status")[2], b"\xfe\xff\x00")
        self.fault(endpoint="E6", stall_ms=400)
        started = time.monotonic()
        self.assertEqual(json.loads(self.c.call("GET", QES + wf + "/status")[2])["status"],
                         "pending")
        self.assertGreaterEqual(time.monotonic() - started, 0.4)

    def test_listener_modes(self):
        port = SIM["ports"]["switch_port"]

        def attempt():
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
            except ConnectionRefusedError:
                return "refused"
            except socket.timeout:
                return "connect timed out"
            try:
                tls = tls_context().wrap_socket(sock, server_hostname="127.0.0.1")
            except socket.timeout:
                sock.close()
                return "handshake timed out"
            with tls:
                tls.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n")
                try:
                    return tls.recv(100).split(b"\r\n")[0].decode()
                except socket.timeout:
                    return "answer timed out"

        self.assertEqual(attempt(), "HTTP/1.1 200 OK")
        kept = Client(port)
        self.assertEqual(kept.call("GET", "/_sim/health")[0], 200)
        for mode, outcome in (("deaf", "answer timed out"),
                              ("refuse", "refused"), ("silent", "handshake timed out"),
                              ("backlog", "connect timed out"), ("normal", "HTTP/1.1 200 OK"),
                              ("silent", "handshake timed out")):
            with self.subTest(mode=mode):
                self.c.ctl("POST", "listener", {"mode": mode})
                self.assertEqual(attempt(), outcome)
        # a change cut the kept-alive connection of the normal listener
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            kept.call("GET", "/_sim/health")
        kept.close()
        self.assertEqual(self.c.json("POST", "/_sim/listener", {"mode": "off"})[0], 400)
        self.c.ctl("POST", "reset")
        self.assertEqual(attempt(), "HTTP/1.1 200 OK")

    def test_bad_fault_specs(self):
        for spec in ({"endpoint": "E9"}, {"endpoint": "E1", "times": 0},
                     {"endpoint": "E1", "status": "500"}, {"endpoint": "E1", "bogus": 1},
                     {"endpoint": "E1", "drop": 1}, {"endpoint": "E1", "body_base64": "!"},
                     {"endpoint": "E1", "interim": 200}, {"endpoint": "E1", "interim": 101},
                     {"endpoint": "E1", "body_bytes": -1}, {"endpoint": "E1", "gzip": 1}):
            with self.subTest(spec=spec):
                self.assertEqual(self.c.json("POST", "/_sim/faults", spec)[0], 400)


# -- request log, control API ---------------------------------------------------

class TestRequestLogAndControl(SimTestCase):
    def test_request_log(self):
        wf = self.workflow()
        self.mobile(wf)
        saved = self.c.token
        self.c.token = "forged"
        self.c.call("GET", QES + wf + "/status")
        self.c.token = saved
        log = self.c.ctl("GET", "requests")
        self.assertEqual([(e["seq"], e["endpoint"], e["method"], e["answered_status"],
                           e["authorization"], e["token_valid"]) for e in log],
                         [(1, "E1", "POST", 200, "none", None),
                          (2, "E2", "POST", 201, "bearer", True),
                          (3, "E4", "PUT", 204, "bearer", True),
                          (4, "E6", "GET", 401, "bearer", False)])
        self.assertEqual(log[0]["json"]["client_secret"], "***")
        self.assertEqual(log[2]["json"], {"mobileNumber": "+31612345678"})
        self.assertEqual(log[1]["route"], "/v1/workflows")
        self.assertEqual(log[3]["path"], QES + wf + "/status")
        text = json.dumps(log)
        self.assertNotIn(saved, text)
        self.assertNotIn("test-secret", text)
        self.c.ctl("DELETE", "requests")
        self.assertEqual(self.c.ctl("GET", "requests"), [])

    def test_config_and_reset(self):
        self.assertEqual(self.c.ctl("GET", "config"),
                         {"new_delay_ms": 0, "token_ttl": 3600, "signed_answer": "multipart",
                          "qtsp": "namirial", "latency_ms": 0})
        self.c.ctl("POST", "config", {"signed_answer": "pdf", "new_delay_ms": 5})
        self.assertEqual(self.c.ctl("GET", "config")["signed_answer"], "pdf")
        for bad in ({"signed_answer": "zip"}, {"latency_ms": -1}, {"token_ttl": "1"},
                    {"colour": 1}, {"qtsp": "acme"}):
            self.assertEqual(self.c.json("POST", "/_sim/config", bad)[0], 400)
        self.workflow()
        self.c.ctl("POST", "faults", {"endpoint": "E6", "status": 500})
        self.c.ctl("POST", "reset")
        self.assertEqual(self.c.ctl("GET", "workflows"), [])
        self.assertEqual(self.c.ctl("GET", "faults"), [])
        self.assertEqual(self.c.ctl("GET", "requests"), [])
        self.assertEqual(self.c.ctl("GET", "webhooks"), [])
        self.assertEqual(self.c.ctl("GET", "tokens"), {"issued": 0, "valid": 0})
        self.assertEqual(self.c.ctl("GET", "config")["signed_answer"], "multipart")


# -- simctl ---------------------------------------------------------------------

class TestSimctl(SimTestCase):
    def quiet(self, *args):
        done = simctl(*args)
        self.assertEqual((done.returncode, done.stdout, done.stderr), (0, "", ""),
                         "simctl %s" % " ".join(args))

    def out(self, *args):
        done = simctl(*args)
        self.assertEqual((done.returncode, done.stderr), (0, ""), "simctl %s" % " ".join(args))
        return done.stdout

    def test_action_verbs_are_silent(self):
        self.quiet("reset")
        self.c.get_token()
        self.quiet("config", "new_delay_ms=0", "token_ttl=600", "signed_answer=pdf")
        self.assertEqual(json.loads(self.out("config"))["token_ttl"], 600)
        self.quiet("eligible", "nobody", "false", "4020")
        self.assertEqual(self.status(self.workflow(partner="nobody"))["status"],
                         "kyc_required")
        wf = self.ready_workflow(partner="someone")
        self.quiet("signer", wf, "start")
        self.quiet("error", "latest", "3550")
        self.assertEqual(self.out("state", wf, "statusCode"), "3550\n")
        self.quiet("recover", "partner:someone")
        self.quiet("wait-status", wf, "user_consent_required", "5")
        self.quiet("signer", "partner:someone", "done")
        self.quiet("qtsp", wf, "infocert")
        self.assertEqual(self.c.call("GET", QES + wf + "/contract")[0], 200)
        done = simctl("error", wf, "4000", "final")    # refused: signed is final
        self.assertEqual((done.returncode, done.stdout), (1, ""))
        self.assertIn("step_not_allowed", done.stderr)

    def test_failures_print_one_line(self):
        wf = self.workflow()
        for args in (("signer", wf, "consent"), ("error", wf, "1", "maybe"),
                     ("bogus",), ("state", "nope"), ("fault", "E1", "nonsense"),
                     ("recover", wf), ("--state-dir", "/nonexistent", "reset")):
            with self.subTest(args=args):
                done = simctl(*args)
                self.assertEqual(done.returncode, 1)
                self.assertEqual(done.stdout, "")
                self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                self.assertTrue(done.stderr.startswith("simctl: "))

    def test_faults_and_tokens(self):
        wf = self.workflow()
        self.quiet("fault", "E6", "status=500", "times=2")
        self.quiet("fault", "e7", "retry_after=1", "status=429", "header.X-Trace=abc")
        self.assertEqual(len(self.out("faults").splitlines()), 2)
        self.assertEqual(self.c.call("GET", QES + wf + "/status")[0], 500)
        status, resp, _ = self.c.call("GET", QES + wf + "/documents/a")
        self.assertEqual((status, resp.getheader("Retry-After"),
                          resp.getheader("X-Trace")), (429, "1", "abc"))
        self.quiet("fault", "E6", "delay_ms=10", "body=plain text", "content_type=text/plain")
        self.quiet("clear-faults")
        self.assertEqual(self.out("faults"), "")
        self.quiet("fault", "E1", "drop=true")
        self.quiet("clear-faults")
        self.quiet("revoke-tokens")
        self.assertEqual(self.c.call("GET", QES + wf + "/status")[0], 401)
        self.assertEqual(self.out("tokens"), '{"issued":1,"valid":0}\n')

    def test_queries(self):
        wf = self.ready_workflow(partner="q")
        self.quiet("signer", wf, "done")
        self.assertEqual(self.out("state", wf, "status"), "signed\n")
        self.assertEqual(self.out("state", "latest", "documents.0.size"), "%d\n" % len(PDF_A))
        self.assertEqual(self.out("state", "partner:q", "mobile_last2"), "78\n")
        self.assertEqual(json.loads(self.out("state", wf))["sessions"], 1)
        self.assertEqual(self.out("requests"),
                         "E1 POST /v1/oauth2/token 200\n"
                         "E2 POST /v1/workflows 201\n"
                         "E3 POST /v1/qualifiedElectronicSignature/{signatureId}/documents 204\n"
                         "E4 PUT /v1/qualifiedElectronicSignature/{signatureId}/mobileNumber 204\n"
                         "E5 POST /v1/workflows/{workflowId}/validationcode 201\n")
        self.assertEqual(self.out("requests", "--endpoint", "E3", "--count"), "1\n")
        entry = json.loads(self.out("requests", "--endpoint", "E3", "--json"))
        self.assertEqual(len(entry["parts"]), 3)
        hooks = [json.loads(line) for line in self.out("webhooks", wf).splitlines()]
        self.assertEqual(hooks[-1], {"signatureId": wf, "status": "signed", "errors": []})
        self.assertEqual(len(self.out("workflows").splitlines()), 1)
        self.assertEqual(self.out("url"), "https://127.0.0.1:%d\n" % SIM["port"])
        self.assertEqual(self.out("url", "expired"),
                         "https://127.0.0.1:%d\n" % SIM["ports"]["expired_port"])
        self.assertEqual(self.out("raw", "GET", "/_sim/health"), '{"ok":true}\n')
        self.assertEqual(self.out("raw", "POST", "/_sim/config", '{"latency_ms": 0}').count(
            '"latency_ms":0'), 1)
        self.quiet("clear-requests")
        self.assertEqual(self.out("requests"), "")
        self.quiet("force-status", wf, "new_status", "12")
        self.assertEqual(self.out("state", wf, "status"), "new_status\n")
        done = simctl("--state-dir", SIM["dir"], "state", wf, "statusCode", env={
            "QES_SIM_DIR": "/nonexistent"})
        self.assertEqual(done.stdout, "12\n")


# -- makepdf ----------------------------------------------------------------------

class TestMakePdf(unittest.TestCase):
    def make(self, *args):
        path = os.path.join(SIM["dir"], "made-%d.pdf" % len(os.listdir(SIM["dir"])))
        done = subprocess.run([sys.executable, MAKEPDF, "--out", path] + list(args),
                              capture_output=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return path

    def check(self, path, pages):
        info = pdfinfo(path)
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertEqual(info.stderr, "")
        self.assertIn("Pages:           %d\n" % pages, info.stdout)

    def test_pages(self):
        for pages in (1, 3, 12):
            self.check(self.make("--pages", str(pages)), pages)

    def test_binary(self):
        path = self.make("--pages", "2", "--binary")
        self.check(path, 2)
        data = read_bytes(path)
        self.assertTrue(data.startswith(b"%PDF-"))
        self.assertIn(b"\x00", data)
        self.assertTrue(all(bytes([b]) in data for b in range(0x80, 0x100)))

    def test_exact_size(self):
        for size in (5000, 1024 * 1024):
            path = self.make("--pages", "2", "--size", str(size), "--binary")
            self.assertEqual(os.path.getsize(path), size)
            self.check(path, 2)

    def test_deterministic(self):
        a = read_bytes(self.make("--pages", "2"))
        b = read_bytes(self.make("--pages", "2"))
        self.assertEqual(a, b)


if __name__ == "__main__":
    timer = threading.Timer(WATCHDOG_SECONDS, watchdog)
    timer.daemon = True
    timer.start()
    unittest.main()
