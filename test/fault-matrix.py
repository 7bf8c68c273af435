#!/usr/bin/env python3
# fault-matrix.py: every endpoint through every fault the simulator can
# inject, each case in its own session of psql.
#
# Run by run-tests inside a throwaway cluster (PG* variables set, qes
# preloaded, QES_SIM_DIR and QES_TOP exported).  For each endpoint it makes a
# workflow in the state that the endpoint needs, injects one fault, makes the
# tracked call, and then checks two things:
#
#   the outcome   the right result, or an error with the SQLSTATE (and, for
#                 network faults, the phase) that the fault deserves
#   the tables    after an error, the workflow, its documents, the history
#                 and the count of workflows are what they were before the
#                 call; after a success, they say what the simulator says
#
# The calls run against the simulator's switch port, whose listener a case
# can make refuse connections, hold them silently (a stalled TLS handshake)
# or leave them unanswered in a full accept queue (a stalled TCP connect).
#
# Prints a line per case, a count per fault class, and at the end
# "test fault_matrix ... ok" (or FAILED) for run-tests to count.
#
#   python3 test/fault-matrix.py [--only E6] [--fault status_500] [-v]

import argparse
import email.utils
import json
import os
import subprocess
import sys
import threading
import time

TOP = os.environ.get("QES_TOP") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIMCTL = os.path.join(TOP, "test", "simctl")
SIM_DIR = os.environ["QES_SIM_DIR"]

CONNECT_TIMEOUT_MS = 500
REQUEST_TIMEOUT_MS = 800
SLOW_MS = 1500                      # longer than either timeout
JSON_CAP = 1024 * 1024              # JSON_ANSWER_CAP in src/endpoints.c
PDF_CAP = 26 * 1024 * 1024          # PDF_ANSWER_CAP in src/endpoints.c

# endpoint: (what it answers, the call, what a good result looks like)
#   "json"  a JSON body; "empty" 204 without body; "pdf" a PDF body
ENDPOINTS = {
    "E1": "json", "E2": "json", "E3": "empty", "E4": "empty", "E5": "json",
    "E6": "json", "E6m": "json", "E7": "pdf", "E8": "pdf",
}


class Sim:
    """A simulator: the one run-tests started, or one of our own."""

    def __init__(self, state_dir, proc=None):
        self.dir = state_dir
        self.proc = proc
        self.env = dict(os.environ, QES_SIM_DIR=state_dir)
        self.main_url = self.ctl("url", "main")
        self.switch_url = self.ctl("url", "switch")
        self.ca_file = os.path.join(state_dir, "ca.pem")

    @classmethod
    def start(cls, state_dir):
        """Start a simulator of our own and wait until it listens."""
        os.makedirs(state_dir, exist_ok=True)
        out = open(os.path.join(state_dir, "stdout"), "w+")
        proc = subprocess.Popen([sys.executable, os.path.join(TOP, "test", "sim",
                                                              "fourthline_sim.py"),
                                 "--state-dir", state_dir, "--quiet"],
                                stdout=out, stderr=subprocess.DEVNULL)
        for _ in range(300):
            out.seek(0)
            if out.read().startswith("READY "):
                return cls(state_dir, proc)
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.terminate()
        raise RuntimeError("a simulator of our own did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()

    def ctl(self, *args, check=True):
        p = subprocess.run([SIMCTL] + list(args), capture_output=True, text=True,
                           env=self.env)
        if check and p.returncode != 0:
            raise RuntimeError("simctl %s: %s" % (" ".join(args), p.stderr.strip()))
        return p.stdout.strip()


def http_date(seconds_ahead):
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


class Fault:
    """
    One fault: its name, its class (for the counts), how to inject it (the
    simctl arguments, or a listener mode), and what it deserves per kind of
    endpoint: "ok", or (SQLSTATE, phase or None, text the error must hold).
    """

    def __init__(self, name, klass, inject, expect, listener=None,
                 kinds=("json", "empty", "pdf")):
        self.name = name
        self.klass = klass
        self.inject = inject            # function(endpoint) -> simctl fault args
        self.expect = expect            # function(endpoint, kind) -> expectation
        self.listener = listener
        self.kinds = kinds              # the kinds of endpoint it applies to


def status_fault(code, sqlstate):
    """Every answer of the endpoint is CODE with a standard error body."""
    return Fault("status_%d" % code, "status %dxx" % (code // 100),
                 lambda ep: ["status=%d" % code, "times=-1"],
                 lambda ep, kind: (sqlstate, None, None))


def by_kind(json_result, empty_result, pdf_result):
    return lambda ep, kind: {"json": json_result, "empty": empty_result,
                             "pdf": pdf_result}[kind]


INVALID = ("QF502", None, None)
LOST = ("08006", "response", None)


def faults():
    out = [
        status_fault(400, "QF400"),
        Fault("status_401_once", "status 4xx",
              lambda ep: ["status=401"],
              lambda ep, kind: ("QF401", None, None) if ep == "E1" else "ok"),
        status_fault(401, "QF401"),
        status_fault(403, "QF403"),
        status_fault(404, "QF404"),
        status_fault(409, "QF409"),
        status_fault(422, "QF409"),
        status_fault(413, "QF400"),
        Fault("status_429_seconds", "rate limit",
              lambda ep: ["status=429", "retry_after=7", "times=-1"],
              lambda ep, kind: ("QF429", None, "Retry after 7 seconds")),
        Fault("status_429_http_date", "rate limit",
              lambda ep: ["status=429", "retry_after=" + http_date(120), "times=-1"],
              lambda ep, kind: ("QF429", None, "Retry after 1")),
        status_fault(500, "QF500"),
        status_fault(502, "QF500"),
        status_fault(503, "QF500"),
        Fault("status_302", "status 3xx",
              lambda ep: ["status=302", "header.Location=https://elsewhere.example/",
                          "times=-1"],
              lambda ep, kind: ("QF502", None, "redirects are not followed")),
        Fault("interim_103", "status 1xx", lambda ep: ["interim=103", "times=-1"],
              lambda ep, kind: "ok"),
        # a proxy's page with a 200: not Fourthline's word, even where any
        # 2xx would do
        Fault("html_200", "body",
              lambda ep: ["status=200", "content_type=text/html",
                          "body=<html><body>Welcome to the proxy</body></html>", "times=-1"],
              lambda ep, kind: INVALID),
        # the same page labelled JSON
        Fault("html_labelled_json", "body",
              lambda ep: ["status=200", "content_type=application/json",
                          "body=<html><body>Welcome to the proxy</body></html>", "times=-1"],
              lambda ep, kind: INVALID),
        # no body where one is due (for E3 and E4 that is the normal answer)
        Fault("empty_200", "body", lambda ep: ["status=200", "body=", "times=-1"],
              lambda ep, kind: INVALID, kinds=("json", "pdf")),
        Fault("malformed", "body", lambda ep: ["malformed=true", "times=-1"],
              by_kind(INVALID, "ok", INVALID)),
        # {"status": "<invalid UTF-8>"} and bytes that are no PDF
        Fault("non_utf8", "body", lambda ep: ["body_base64=eyJzdGF0dXMiOiAi/v8ifQ==",
                                               "times=-1"],
              by_kind(INVALID, "ok", INVALID)),
        Fault("wrong_content_type", "body",
              lambda ep: ["content_type=text/plain", "times=-1"],
              by_kind(INVALID, "ok", INVALID)),
        Fault("body_over_cap", "size",
              lambda ep: ["body_bytes=%d" % ((PDF_CAP if ENDPOINTS[ep] == "pdf"
                                               else JSON_CAP) + 1), "times=-1"],
              by_kind(("QF502", None, "too large"), "ok", ("QF502", None, "too large"))),
        Fault("body_at_cap", "size",
              lambda ep: ["body_bytes=%d" % JSON_CAP, "times=-1"],
              lambda ep, kind: "ok", kinds=("json",)),
        Fault("headers_70k", "size", lambda ep: ["header_bytes=70000", "times=-1"],
              lambda ep, kind: ("QF502", None, "headers exceeded")),
        Fault("headers_200k", "size", lambda ep: ["header_bytes=200000", "times=-1"],
              lambda ep, kind: ("QF502", None, "headers exceeded")),
        Fault("gzip", "encoding", lambda ep: ["gzip=true", "times=-1"],
              lambda ep, kind: "ok"),
        Fault("chunked", "encoding", lambda ep: ["chunked=true", "times=-1"],
              lambda ep, kind: "ok"),
        Fault("gzip_chunked", "encoding",
              lambda ep: ["gzip=true", "chunked=true", "times=-1"],
              lambda ep, kind: "ok"),
        Fault("delay_past_timeout", "timeout",
              lambda ep: ["delay_ms=%d" % SLOW_MS, "times=-1"],
              lambda ep, kind: ("QF408", "response", "qes.request_timeout")),
        # a 204 has no body to stall in
        Fault("stall_mid_body", "timeout",
              lambda ep: ["stall_ms=%d" % SLOW_MS, "times=-1"],
              by_kind(("QF408", "response", "qes.request_timeout"), "ok",
                      ("QF408", "response", "qes.request_timeout"))),
        Fault("connect_stalled", "timeout", None,
              lambda ep, kind: ("QF408", "connect", "qes.connect_timeout"),
              listener="backlog"),
        Fault("tls_stalled", "timeout", None,
              lambda ep, kind: ("QF408", "TLS", "qes.connect_timeout"),
              listener="silent"),
        # TLS done, then nothing read: a request larger than the socket
        # buffers (E3 sends 12 MB here) stalls while it is sent
        Fault("request_stalled", "timeout", None,
              lambda ep, kind: ("QF408", "request" if ep == "E3" else "response",
                                "qes.request_timeout"),
              listener="deaf"),
        Fault("connection_refused", "connection", None,
              lambda ep, kind: ("08001", "connect", "Couldn't connect"),
              listener="refuse"),
        Fault("empty_reply", "connection", lambda ep: ["drop=true", "times=-1"],
              lambda ep, kind: LOST),
        # a 204 has no body to cut short: only the close remains
        Fault("dropped_mid_body", "connection", lambda ep: ["truncate=true", "times=-1"],
              by_kind(LOST, "ok", LOST)),
    ]
    return out


# --- the SQL of each endpoint's case -------------------------------------

# of this case only: cases run side by side
SNAPSHOT = """SELECT 'SNAP ' || md5(json_build_object(
    'created', (SELECT count(*) FROM qes_workflow
                 WHERE partner_client_id = :'ref' || '-new'),
    'history', (SELECT json_agg(h ORDER BY h.id) FROM qes_status_history h
                 JOIN qes_workflow w ON w.id = h.workflow WHERE w.workflow_id = :'wf'),
    'row', (SELECT row_to_json(w) FROM qes_workflow w WHERE workflow_id = :'wf'),
    'documents', (SELECT json_agg(d ORDER BY d.document_id) FROM qes_document d
                   JOIN qes_workflow w ON w.id = d.workflow WHERE w.workflow_id = :'wf')
    )::text);"""


# what the tables say of the workflow after the call
TABLE = """SELECT 'TABLE ' || json_build_object(
    'status', w.status,
    'documents', w.documents_uploaded_at IS NOT NULL,
    'mobile', w.mobile_uploaded_at IS NOT NULL,
    'session', w.sdk_session_at IS NOT NULL,
    'contract', encode(w.contract_sha256, 'hex'),
    'signed', (SELECT json_object_agg(d.document_id, encode(d.signed_sha256, 'hex'))
                 FROM qes_document d WHERE d.workflow = w.id),
    'uploaded', (SELECT json_object_agg(d.document_id, encode(d.original_sha256, 'hex'))
                   FROM qes_document d WHERE d.workflow = w.id))
  FROM qes_workflow w WHERE w.workflow_id = :'wf';"""


def fixture(ep, ref, pdf):
    """SQL that leaves :wf in the state the endpoint needs."""
    sql = ["SELECT workflow_id AS wf FROM qes_create_workflow('%s') \\gset" % ref,
           "\\setenv WF :wf",
           "SELECT status FROM qes_status(:'wf') \\g /dev/null"]
    if ep in ("E5", "E7", "E8"):
        if ep == "E8":
            sql.append("\\! %s qtsp \"$WF\" infocert" % SIMCTL)
        sql += ["SELECT count(*) FROM qes_upload_documents(:'wf', ARRAY['doc'], "
                "ARRAY[pg_read_binary_file('%s')]) \\g /dev/null" % pdf,
                "SELECT qes_upload_mobile_number(:'wf', '+31612345678') \\g /dev/null"]
    if ep in ("E7", "E8"):
        sql += ["SELECT qes_create_sdk_session(:'wf') \\g /dev/null",
                "\\! %s signer \"$WF\" done" % SIMCTL,
                "SELECT status FROM qes_status(:'wf') \\g /dev/null"]
    return sql


def the_call(ep, ref, pdf):
    """SQL of the tracked call; on success it prints RESULT lines."""
    if ep == "E3" and ref.startswith("E3-request_stalled-"):
        pdf = pdf.replace("matrix.pdf", "matrix-big.pdf")
    return {
        "E1": "SELECT 'RESULT ' || status FROM qes_status(:'wf');",
        "E2": "SELECT 'RESULT ' || workflow_id FROM qes_create_workflow('%s-new');" % ref,
        "E3": "SELECT 'RESULT ' || document_id || ' ' || encode(sha256, 'hex') "
              "FROM qes_upload_documents(:'wf', ARRAY['doc'], "
              "ARRAY[pg_read_binary_file('%s')]);" % pdf,
        "E4": "SELECT 'RESULT ' || qes_upload_mobile_number(:'wf', '+31612345678');",
        "E5": "SELECT 'RESULT ' || qes_create_sdk_session(:'wf');",
        "E6": "SELECT 'RESULT ' || status FROM qes_status(:'wf');",
        "E6m": "SELECT 'RESULT ' || coalesce(status, '-') || ' ' || "
               "coalesce(error_sqlstate, '-') || ' ' || coalesce(retry_after, -1) || "
               "' ' || coalesce(error_detail, '-') || ' ' || coalesce(error_message, '-') "
               "FROM qes_api_status_many(ARRAY[:'wf'::uuid], 4);",
        "E7": "SELECT 'RESULT ' || encode(sha256(qes_fetch_signed(:'wf', 'doc')), 'hex');",
        "E8": "SELECT 'RESULT ' || encode(sha256(qes_fetch_contract(:'wf')), 'hex');",
    }[ep]


def script(ep, fault, ref, pdf, sim):
    """The psql script of one case."""
    endpoint = "E6" if ep == "E6m" else ep
    lines = ["\\set ON_ERROR_STOP 1",
             "SET qes.connect_timeout = %d;" % CONNECT_TIMEOUT_MS,
             "SET qes.request_timeout = %d;" % REQUEST_TIMEOUT_MS,
             "SET qes.ca_file = '%s';" % sim.ca_file]
    # the token belongs to the base URL: for E1 the call must buy one
    lines.append("SET qes.base_url = '%s';" % (sim.main_url if ep == "E1"
                                                else sim.switch_url))
    lines.append("\\set ref '%s'" % ref)
    lines += fixture(ep, ref, pdf)
    if ep == "E1":
        lines.append("SET qes.base_url = '%s';" % sim.switch_url)
    lines += ["\\echo WF :wf", SNAPSHOT]
    if fault.listener:
        lines.append("\\! %s listener %s" % (SIMCTL, fault.listener))
    else:
        args = " ".join("'%s'" % a for a in fault.inject(ep))
        lines.append("\\! %s fault %s %s" % (SIMCTL, endpoint, args))
    lines += ["\\set ON_ERROR_STOP 0",
              the_call(ep, ref, pdf),
              "\\echo SQLSTATE :SQLSTATE",
              "\\set ON_ERROR_STOP 1",
              "\\! %s calm" % SIMCTL,
              TABLE,
              SNAPSHOT]
    return "\n".join(lines) + "\n"


# --- judging a case --------------------------------------------------------

def parse(stdout):
    out = {"snap": [], "result": []}
    for line in stdout.splitlines():
        if line.startswith("WF "):
            out["wf"] = line[3:]
        elif line.startswith("SNAP "):
            out["snap"].append(line[5:])
        elif line.startswith("RESULT "):
            out["result"].append(line[7:])
        elif line.startswith("SQLSTATE "):
            out["sqlstate"] = line[9:]
        elif line.startswith("TABLE "):
            out["table"] = json.loads(line[6:])
    return out


def check_ok(ep, run, stderr, sim):
    """Problems with a case that should have worked (empty list: none)."""
    problems = []
    state = json.loads(sim.ctl("state", run["wf"]))
    result = run["result"]
    if ep == "E6m":
        if len(result) != 1 or result[0].split(" ")[:2] != [state["status"], "-"]:
            problems.append("expected a status read of %s, got %r"
                            % (state["status"], result))
        return problems
    if run.get("sqlstate") != "00000":
        return ["expected success, got %s: %s" % (run.get("sqlstate"),
                                                   stderr.strip()[:300])]
    if len(result) < 1 or "table" not in run:
        return ["no result"]
    table = run["table"]
    docs = {d["documentId"]: d["sha256"] for d in state["documents"]}
    if ep in ("E1", "E6"):
        if result != [state["status"]] or table["status"] != state["status"]:
            problems.append("status %r, table %s, simulator %s"
                            % (result, table["status"], state["status"]))
    elif ep == "E2":
        created = json.loads(sim.ctl("state", result[0]))
        if created["partnerClientId"] != run["ref"] + "-new":
            problems.append("created workflow has partner id %s" % created["partnerClientId"])
        if run["snap"][0] == run["snap"][1]:
            problems.append("the new workflow has no row")
    elif ep == "E3":
        got = dict(r.split(" ") for r in result)
        if got != docs or table["uploaded"] != docs or not table["documents"]:
            problems.append("uploaded %r, table %r, simulator %r"
                            % (got, table["uploaded"], docs))
    elif ep == "E4":
        if "612345" in result[0] or not result[0].endswith("78"):
            problems.append("the number is not masked as it should be")
        if state["mobile_last2"] != "78" or not table["mobile"]:
            problems.append("number: table %s, simulator %s"
                            % (table["mobile"], state["mobile_last2"] is not None))
    elif ep == "E5":
        if len(result[0]) != 8 or not result[0].isalnum() or not table["session"]:
            problems.append("validation code is not 8 characters, or not recorded")
    elif ep == "E7":
        signed = {d["documentId"]: d.get("signed_sha256") for d in state["documents"]}
        if result != [signed["doc"]] or table["signed"] != signed:
            problems.append("signed PDF: got %s, table %s, simulator %s"
                            % (result, table["signed"], signed))
    elif ep == "E8":
        if not result[0] or table["contract"] != result[0]:
            problems.append("contract: got %r, table %r" % (result, table["contract"]))
    return problems


def check_error(expect, run, stderr):
    sqlstate, phase, text = expect
    problems = []
    if run.get("sqlstate") != sqlstate:
        problems.append("expected %s, got %s: %s" % (sqlstate, run.get("sqlstate"),
                                                      " ".join(stderr.split())[:300]))
        return problems
    if phase is not None and ("Phase: %s." % phase) not in stderr:
        problems.append("expected phase %s in: %s" % (phase, " ".join(stderr.split())[:300]))
    if text is not None and text not in stderr:
        problems.append("expected %r in: %s" % (text, " ".join(stderr.split())[:300]))
    return problems


def check_error_row(expect, run):
    """qes_api_status_many reports a failed read in its row, not as an error."""
    sqlstate, phase, text = expect
    if run.get("sqlstate") != "00000" or len(run["result"]) != 1:
        return ["expected one row, got %s %r" % (run.get("sqlstate"), run["result"])]
    row = run["result"][0]
    parts = row.split(" ", 3)
    retry_after = int(parts[2])
    problems = []
    if parts[1] != sqlstate:
        problems.append("expected %s in the row, got %s" % (sqlstate, row[:300]))
    elif phase is not None and ("Phase: %s." % phase) not in row:
        problems.append("expected phase %s in the row: %s" % (phase, row[:300]))
    elif text is not None and text.startswith("Retry after"):
        # the hint of an error is the retry_after column of a row
        wanted = text.split()[2]
        if not str(retry_after).startswith(wanted) or retry_after > 120:
            problems.append("retry_after %d, expected %s" % (retry_after, text))
    elif text is not None and text not in row:
        problems.append("expected %r in the row: %s" % (text, row[:300]))
    return problems


def run_case(ep, fault, n, sim, verbose):
    """Run one case against SIM; returns the list of problems (none: passed)."""
    ref = "%s-%s-%d" % (ep, fault.name, n)
    pdf = os.path.join(sim.dir, "matrix.pdf")
    sql = script(ep, fault, ref, pdf, sim)
    p = subprocess.run(["psql", "-X", "-q", "-At", "-f", "-"], input=sql,
                       capture_output=True, text=True, timeout=120, env=sim.env)
    run = parse(p.stdout)
    run["ref"] = ref
    stderr = "\n".join(l for l in p.stderr.splitlines()
                       if not l.startswith("psql:<stdin>") or "ERROR" in l)
    if verbose:
        print(sql, p.stdout, p.stderr, sep="\n---\n")
    if p.returncode != 0 or "wf" not in run or len(run["snap"]) != 2:
        return ["the case did not run: %s" % " ".join(p.stderr.split())[:400]]

    expect = fault.expect(ep, ENDPOINTS[ep])
    if expect == "ok":
        return check_ok(ep, run, stderr, sim)
    if ep == "E6m":
        problems = check_error_row(expect, run)
    else:
        problems = check_error(expect, run, stderr)
    if run["snap"][0] != run["snap"][1]:
        problems.append("the tables changed although the call failed")
    return problems


def worker(sim, cases, results, verbose):
    """Run CASES one after the other against SIM (faults are per simulator)."""
    for n, ep, fault in cases:
        t0 = time.monotonic()
        try:
            problems = run_case(ep, fault, n, sim, verbose)
        except Exception as e:              # a broken case is a failed case
            problems = ["%s: %s" % (type(e).__name__, e)]
            sim.ctl("calm", check=False)
        results[n] = (problems, time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="endpoint(s) to run")
    ap.add_argument("--fault", action="append", help="fault(s) to run")
    ap.add_argument("--workers", type=int, default=3,
                    help="cases run side by side, each worker with its own simulator")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    subprocess.run(["psql", "-X", "-q", "-c", "CREATE EXTENSION IF NOT EXISTS qes"],
                   check=True)
    cases = []
    for fault in faults():
        if args.fault and fault.name not in args.fault:
            continue
        for ep in args.only or list(ENDPOINTS):
            if ENDPOINTS[ep] in fault.kinds:
                cases.append((len(cases) + 1, ep, fault))

    started = time.monotonic()
    sims = [Sim(SIM_DIR)]
    results = {}
    try:
        for i in range(1, max(1, args.workers)):
            sims.append(Sim.start(os.path.join(SIM_DIR, "matrix-sim-%d" % i)))
        for sim in sims:
            sim.ctl("reset")
            for name, size in (("matrix.pdf", []), ("matrix-big.pdf", ["--size", "12000000"])):
                subprocess.run([sys.executable,
                                os.path.join(TOP, "test", "sim", "makepdf.py"),
                                "--pages", "1", "--out", os.path.join(sim.dir, name)] + size,
                               check=True)
        threads = [threading.Thread(target=worker,
                                    args=(sim, cases[i::len(sims)], results, args.verbose))
                   for i, sim in enumerate(sims)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for sim in sims:
            sim.stop()

    failures = 0
    counts = {}
    for n, ep, fault in cases:
        problems, seconds = results.get(n, (["the case did not run"], 0.0))
        expect = fault.expect(ep, ENDPOINTS[ep])
        what = "ok" if expect == "ok" else expect[0]
        c = counts.setdefault(fault.klass, [0, 0])
        c[0] += 1
        if problems:
            failures += 1
        else:
            c[1] += 1
        print("case %-4s %-22s %-6s %s (%.2f s)" % (ep, fault.name, what,
                                                  "FAILED" if problems else "passed",
                                                  seconds))
        for problem in problems:
            print("    " + problem)
    print("fault classes:")
    for klass, (tried, good) in counts.items():
        print("  %-12s %3d cases, %3d as expected" % (klass, tried, good))
    print("faults: %d cases, %d as expected, %d not, in %.1f s with %d workers"
          % (len(cases), len(cases) - failures, failures, time.monotonic() - started,
             len(sims)))
    print("test %-24s ... %s" % ("fault_matrix", "ok" if failures == 0 else "FAILED"))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
