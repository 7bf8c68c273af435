#!/usr/bin/env python3
# bench.py: the measurements of bench/run.  Runs inside the throwaway
# cluster that bench/run made with pg_virtualenv (PGHOST, PGPORT, ... set),
# beside the simulator that bench/run started (QES_SIM_DIR, SIM_URL set).
# Talks to the database with psql, to the simulator with curl, simctl and
# Python's http.client, all on 127.0.0.1; reads backends' memory from
# /proc/self/status through pg_read_file.
#
#   python3 bench/bench.py --mode full|quick --work DIR
#
# Prints the machine, then one table of medians and ratios with PASS or MISS
# against each target of issue 5, then the details; writes every raw figure
# to DIR/results.json.  Every loop is bounded in count, and every psql and
# curl process in time (TIMEOUT below).

import argparse
import http.client
import json
import os
import platform
import re
import ssl
import statistics
import subprocess
import sys
import time

TOP = os.environ["QES_TOP"]
SIM_DIR = os.environ["QES_SIM_DIR"]
SIM_URL = os.environ["SIM_URL"]
SIMCTL = os.path.join(TOP, "test", "simctl")
CA = os.path.join(SIM_DIR, "ca.pem")
MIB = 1024 * 1024
TIMEOUT = 900           # seconds any one psql or curl process may take

# What each mode measures.  reps: how many times each measurement is
# repeated (the table shows the median).  sync_plan: (C, runs of qes_sync,
# runs of qes_api_status_many and of curl --parallel).
MODES = {
    "full": {
        "calls_m": 1000, "calls_reps": 5,
        "sync_n": 10000, "sync_plan": [(64, 5, 5), (16, 3, 1), (1, 1, 0)], "sync_n_c1": 10000,
        "doc_sizes": [1, 10, 25], "doc_reps": 5, "mem_reps": 3,
        "token_calls": 1000, "token_backends": 20, "token_calls_each": 50, "token_reps": 3,
        "verify_mib": 25, "verify_reps": 5,
    },
    "quick": {
        "calls_m": 200, "calls_reps": 3,
        "sync_n": 500, "sync_plan": [(64, 3, 3), (16, 2, 1), (1, 1, 0)], "sync_n_c1": 50,
        "doc_sizes": [1, 10], "doc_reps": 3, "mem_reps": 1,
        "token_calls": 1000, "token_backends": 20, "token_calls_each": 50, "token_reps": 1,
        "verify_mib": 10, "verify_reps": 3,
    },
}
LATENCY_MS = 20

results = {}            # everything measured, for results.json


def log(text):
    """A progress line on stderr (the table goes to stdout)."""
    line = time.strftime("%H:%M:%S ") + text
    print(line, file=sys.stderr, flush=True)


# -- running things -----------------------------------------------------------

class Failure(Exception):
    pass


def run(argv, stdin=None, timeout=TIMEOUT):
    """Run a command; return (stdout, stderr, seconds of wall time)."""
    t0 = time.monotonic()
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    if p.returncode != 0:
        raise Failure("%s failed (exit %d):\n%s%s" % (" ".join(argv[:3]), p.returncode,
                                                     p.stdout[-2000:], p.stderr[-2000:]))
    return p.stdout, p.stderr, elapsed


def psql(script, db="postgres", timeout=TIMEOUT):
    """Run a psql script in a new session; return (stdout, stderr, seconds)."""
    return run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", "-"],
               stdin=script, timeout=timeout)


def psql_value(sql, db="postgres"):
    return psql(sql + "\n", db)[0].strip()


def timings(stderr_or_stdout):
    """The 'Time: N ms' lines of psql's \\timing, in seconds."""
    return [float(m) / 1000 for m in re.findall(r"^Time: ([0-9.]+) ms", stderr_or_stdout, re.M)]


def notices(stderr, key):
    """The values of 'NOTICE:  KEY VALUE' lines, as floats."""
    return [float(m) for m in re.findall(r"NOTICE:  %s ([0-9.eE+-]+)" % re.escape(key), stderr)]


def simctl(*args):
    return run([SIMCTL] + list(args), timeout=300)[0].strip()


def sim_count(endpoint):
    return int(simctl("requests", "--endpoint", endpoint, "--count"))


class Api:
    """A keep-alive HTTPS client of the simulator's API, for setting up."""

    def __init__(self):
        port = int(open(os.path.join(SIM_DIR, "port")).read())
        self.conn = http.client.HTTPSConnection(
            "127.0.0.1", port, context=ssl.create_default_context(cafile=CA), timeout=60)
        self.token = None

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        self.conn.request(method, path, body=None if body is None else json.dumps(body),
                          headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if not 200 <= resp.status < 300:
            raise Failure("%s %s: HTTP %d %s" % (method, path, resp.status, data[:200]))
        return json.loads(data) if data else None

    def login(self):
        self.token = self.call("POST", "/v1/oauth2/token", {
            "grant_type": "client_credentials", "client_id": "test-client",
            "client_secret": "test-secret"})["access_token"]
        return self.token


def curl_config(path, token, urls, extra=()):
    """A curl --config file: the token, the CA and one /dev/null output per URL."""
    with open(path, "w") as f:
        f.write('silent\nshow-error\ncacert = "%s"\n' % CA)
        f.write('header = "Authorization: Bearer %s"\n' % token)
        for line in extra:
            f.write(line + "\n")
        for url in urls:
            f.write('url = "%s"\noutput = "/dev/null"\n' % url)
    os.chmod(path, 0o600)


def status_url(workflow_id):
    return "%s/v1/qualifiedElectronicSignature/%s/status" % (SIM_URL, workflow_id)


def median(values):
    return statistics.median(values) if values else float("nan")


def new_database(name):
    psql("DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n" % (name, name))
    psql("CREATE EXTENSION qes;\n", name)


# -- the machine ---------------------------------------------------------------

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    pg = psql_value("SELECT version()").split(" on ")[0]
    libcurl = run(["pkg-config", "--modversion", "libcurl"])[0].strip()
    openssl = " ".join(run(["openssl", "version"])[0].split()[:2])
    curl = run(["curl", "--version"])[0].splitlines()[0].split()[1]
    load = open("/proc/loadavg").read().split()[:3]
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "kernel": platform.release(),
        "postgresql": pg, "libcurl": libcurl, "curl": curl, "openssl": openssl,
        "python": platform.python_version(), "load_at_start": " ".join(load),
    }


# -- 1. per-call overhead --------------------------------------------------------

def bench_calls(cfg):
    m, reps = cfg["calls_m"], cfg["calls_reps"]
    log("1. per-call overhead: %d calls, %d repetitions" % (m, reps))
    new_database("bench_calls")
    wf = psql_value("SELECT workflow_id FROM qes_create_workflow('bench-calls')", "bench_calls")
    psql("SELECT * FROM qes_status('%s');\n" % wf, "bench_calls")

    api = Api()
    token = api.login()
    work = results["work"]
    one = os.path.join(work, "calls-1.curl")
    many = os.path.join(work, "calls-%d.curl" % (m + 1))
    curl_config(one, token, [status_url(wf)])
    curl_config(many, token, [status_url(wf)] * (m + 1))

    loop = """DO $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	FOR i IN 1..%d LOOP
		PERFORM * FROM %s('%s');
		COMMIT;
	END LOOP;
	RAISE NOTICE '%s %%', extract(epoch FROM clock_timestamp() - t0);
END $$;
"""
    # the calls as M statements from a client (psql), each its own transaction
    statements = "".join("SELECT * FROM qes_status('%s');\n" % wf for _ in range(m))
    stmt_script = ("SELECT * FROM qes_status('%s');\n" % wf +
                   "SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset\n\\o /dev/null\n" +
                   statements +
                   "\\o\nSELECT extract(epoch FROM clock_timestamp()) - :t0 AS elapsed \\gset\n"
                   "\\echo ELAPSED :elapsed\n")

    fig = {"curl": [], "qes_status": [], "qes_api_status": [], "qes_status_statements": []}
    for rep in range(reps):
        # curl: the wall time of one process fetching M+1 URLs over one
        # connection, less that of one fetching 1 (start, TLS, first fetch)
        t1 = run(["curl", "-K", one])[2]
        tm = run(["curl", "-K", many, "-w", "%{num_connects}\\n"])
        connects = sum(int(x) for x in tm[0].split())
        if connects != 1:
            raise Failure("curl opened %d connections for %d URLs" % (connects, m + 1))
        fig["curl"].append(tm[2] - t1)

        # the extension: a warm backend (token and connection in place), M
        # calls each committed, timed inside the server
        script = ("SELECT * FROM qes_status('%s');\n" % wf +
                  loop % (m, "qes_status", wf, "qes_status") +
                  loop % (m, "qes_api_status", wf, "qes_api_status"))
        _, err, _ = psql(script, "bench_calls")
        fig["qes_status"] += notices(err, "qes_status")
        fig["qes_api_status"] += notices(err, "qes_api_status")
        out, _, _ = psql(stmt_script, "bench_calls")
        fig["qes_status_statements"].append(float(re.search(r"ELAPSED ([0-9.]+)", out).group(1)))
        log("   rep %d: curl %.3f s, qes_status %.3f s, qes_api_status %.3f s, statements %.3f s"
            % (rep + 1, fig["curl"][-1], fig["qes_status"][-1], fig["qes_api_status"][-1],
               fig["qes_status_statements"][-1]))
    results["calls"] = {"m": m, "reps": reps, "seconds": fig}


# -- 2. concurrency -----------------------------------------------------------------

def make_workflows(n, db):
    """N workflows at the simulator (E2 over one kept-alive connection),
    tracked as pending rows in qes_workflow."""
    api = Api()
    api.login()
    path = os.path.join(results["work"], "workflows.tsv")
    t0 = time.monotonic()
    with open(path, "w") as f:
        for i in range(n):
            w = api.call("POST", "/v1/workflows",
                         {"workflowName": "qes", "partnerClientId": "bench-%d" % i})
            f.write("bench-%d\tqes\t%s\t%s\tpending\tcall\n" % (i, w["workflowId"], w["clientId"]))
    os.chmod(path, 0o644)
    psql("\\copy qes_workflow (partner_client_id, workflow_name, workflow_id, client_id, "
         "status, status_source) FROM '%s'\n" % path, db)
    log("   %d workflows created and tracked in %.1f s" % (n, time.monotonic() - t0))
    return path


def sync_run(c, n, db):
    """One CALL qes_sync() at concurrency C in a new backend: (seconds, row)."""
    out, err, _ = psql("SET qes.sync_concurrency = %d;\n\\timing on\n"
                       "CALL qes_sync(batch_size => %d, time_budget => '30 min');\n" % (c, n + 10), db)
    found = re.findall(r"^(\d+)\|(\d+)\|(\d+)\|(\d+)\|(\d+)$", out, re.M)
    row = dict(zip(["read", "advanced", "signed", "failed", "left"], map(int, found[-1])))
    return timings(out)[-1], row


def many_run(c, db):
    """One qes_api_status_many over every tracked workflow, in a new backend."""
    out, _, _ = psql("\\timing on\nSELECT count(*), count(*) FILTER (WHERE status IS NULL) "
                     "FROM qes_api_status_many((SELECT array_agg(workflow_id) FROM qes_workflow), %d);\n"
                     % c, db)
    read, failed = map(int, re.findall(r"^(\d+)\|(\d+)$", out, re.M)[-1])
    return timings(out)[-1], read, failed


def curl_parallel(c, cfgfile, n):
    """curl --parallel with C transfers at once: (seconds, failed)."""
    out, _, elapsed = run(["curl", "-K", cfgfile, "--parallel", "--parallel-max", str(c),
                           "--no-progress-meter", "-w", "%{http_code}\\n"])
    codes = out.split()
    failed = sum(1 for x in codes if x != "200") + (n - len(codes))
    return elapsed, failed


def bench_sync(cfg):
    log("2. concurrency: N = %d (C = 1: N = %d), latency %d ms"
        % (cfg["sync_n"], cfg["sync_n_c1"], LATENCY_MS))
    out = {}
    simctl("config", "latency_ms=0")
    for label, n in sorted({("main", cfg["sync_n"]), ("c1", cfg["sync_n_c1"])}):
        db = "bench_sync_%d" % n
        if db in out:
            continue
        new_database(db)
        make_workflows(n, db)
        out[db] = n
    api = Api()
    token = api.login()
    ids = {}
    for db, n in out.items():
        ids[db] = psql_value("SELECT string_agg(workflow_id::text, ' ') FROM qes_workflow", db).split()
    simctl("config", "latency_ms=%d" % LATENCY_MS)
    fig = []
    try:
        for c, reps, side_reps in cfg["sync_plan"]:
            n = cfg["sync_n_c1"] if c == 1 else cfg["sync_n"]
            db = "bench_sync_%d" % n
            cfgfile = os.path.join(results["work"], "parallel-%d.curl" % n)
            curl_config(cfgfile, token, [status_url(w) for w in ids[db]])
            bound = n * LATENCY_MS / 1000 / c
            entry = {"c": c, "n": n, "bound": bound, "sync": [], "sync_rows": [],
                     "many": [], "many_failed": [], "curl": [], "curl_failed": []}
            for rep in range(reps):
                t, row = sync_run(c, n, db)
                entry["sync"].append(t)
                entry["sync_rows"].append(row)
                line = "   C=%d rep %d: qes_sync %.2f s (read %d, failed %d)" % (
                    c, rep + 1, t, row["read"], row["failed"])
                # the direct function and curl only where they add something
                if rep < side_reps:
                    t2, read, failed = many_run(c, db)
                    entry["many"].append(t2)
                    entry["many_failed"].append(failed + (n - read))
                    t3, failed3 = curl_parallel(c, cfgfile, n)
                    entry["curl"].append(t3)
                    entry["curl_failed"].append(failed3)
                    line += ", qes_api_status_many %.2f s, curl --parallel %.2f s" % (t2, t3)
                log(line + " (bound %.2f s)" % bound)
            fig.append(entry)
    finally:
        simctl("config", "latency_ms=0")
    results["sync"] = fig


# -- 3. large documents ---------------------------------------------------------------

STATUS_RE = re.compile(r"^(VmHWM|VmRSS|RssAnon|RssShmem):\s+(\d+) kB", re.M)


def proc_status(text):
    return {k: int(v) * 1024 for k, v in STATUS_RE.findall(text)}


def memory_run(op, warm, db):
    """Peak memory of OP in a fresh backend: VmRSS right after connecting,
    VmRSS after a warm-up call (token, TLS connection), VmHWM after OP."""
    marker = "SELECT '@@' || pg_read_file('/proc/self/status');\n"
    out, _, _ = psql(marker + warm + ";\n" + marker + op + ";\n" + marker, db)
    parts = [proc_status(p) for p in out.split("@@")[1:]]
    connect, warmed, after = parts
    return {"rss_connect": connect["VmRSS"], "rss_warm": warmed["VmRSS"],
            "hwm": after["VmHWM"], "rss_after": after["VmRSS"],
            "shmem_growth": after["RssShmem"] - connect["RssShmem"]}


def bench_docs(cfg):
    sizes, reps = cfg["doc_sizes"], cfg["doc_reps"]
    log("3. large documents: %s MiB, %d repetitions" % (", ".join(map(str, sizes)), reps))
    db = "bench_docs"
    new_database(db)
    work = results["work"]
    api = Api()
    token = api.login()
    up_wf = psql_value("SELECT workflow_id FROM qes_create_workflow('bench-upload')", db)
    psql("SELECT * FROM qes_status('%s');\n" % up_wf, db)
    meta = os.path.join(work, "metadata.json")
    with open(meta, "w") as f:
        f.write('{"documents":[{"documentId":"doc","fileName":"doc.pdf"}]}')
    fig = []
    for size in sizes:
        pdf = os.path.join(work, "doc-%dmib.pdf" % size)
        run(["python3", os.path.join(TOP, "test", "sim", "makepdf.py"), "--pages", "1",
             "--size", str(size * MIB), "--out", pdf])
        os.chmod(pdf, 0o644)
        contents = "ARRAY[pg_read_binary_file('%s')]" % pdf
        # a signed workflow to download from: uploaded once, then signed
        dl_wf = psql_value("SELECT workflow_id FROM qes_create_workflow('bench-dl-%d')" % size, db)
        psql("SELECT * FROM qes_status('%s');\n"
             "SELECT count(*) FROM qes_upload_documents('%s', ARRAY['doc'], %s);\n"
             % (dl_wf, dl_wf, contents), db)
        simctl("force-status", dl_wf, "signed")

        ops = {
            "upload": "SELECT count(*) FROM qes_upload_documents('%s', ARRAY['doc'], %s)"
                      % (up_wf, contents),
            "upload_raw": "SELECT qes_api_upload_documents('%s', ARRAY['doc'], %s) IS NULL"
                          % (up_wf, contents),
            "download": "SELECT length(qes_fetch_signed('%s', 'doc'))" % dl_wf,
            "download_raw": "SELECT length(qes_api_signed_document('%s', 'doc'))" % dl_wf,
        }
        # the warm-up: a small call of the same layer (libcurl, TLS, token;
        # for the tracked functions PL/pgSQL and the tables too)
        warm = "SELECT * FROM qes_status('%s')" % up_wf
        warm_raw = "SELECT * FROM qes_api_status('%s')" % up_wf
        entry = {"size_mib": size, "seconds": {k: [] for k in list(ops) + ["curl_upload",
                                                                          "curl_download"]},
                 "memory": {k: [] for k in list(ops) + ["document_alone"]}}

        # curl: a warm-up GET, then the transfer over the same connection;
        # curl's own time_total of the transfer
        curl_up = os.path.join(work, "upload.curl")
        curl_dl = os.path.join(work, "download.curl")
        for path, url in ((curl_up, "%s/v1/qualifiedElectronicSignature/%s/documents" % (SIM_URL, up_wf)),
                          (curl_dl, "%s/v1/qualifiedElectronicSignature/%s/documents/doc" % (SIM_URL, dl_wf))):
            with open(path, "w") as f:
                f.write('silent\nshow-error\ncacert = "%s"\n' % CA)
                f.write('header = "Authorization: Bearer %s"\n' % token)
                f.write('url = "%s"\noutput = "/dev/null"\n' % status_url(up_wf))
                f.write('next\nsilent\nshow-error\ncacert = "%s"\n' % CA)
                f.write('header = "Authorization: Bearer %s"\n' % token)
                if path == curl_up:
                    f.write('header = "Expect:"\n')
                    f.write('form = "metadata=<%s;type=application/json"\n' % meta)
                    f.write('form = "doc=@%s;type=application/pdf"\n' % pdf)
                f.write('url = "%s"\noutput = "/dev/null"\n' % url)
                f.write('write-out = "%{http_code} %{num_connects} %{time_total}\\n"\n')
            os.chmod(path, 0o600)

        # time: one warm backend per kind, the operations interleaved
        script = warm + ";\n" + warm_raw + ";\n\\timing on\n" + "".join(
            ops["upload"] + ";\n" + ops["upload_raw"] + ";\n" for _ in range(reps))
        out, _, _ = psql(script, db)
        t = timings(out)
        entry["seconds"]["upload"] = t[0::2]
        entry["seconds"]["upload_raw"] = t[1::2]
        script = warm + ";\n" + warm_raw + ";\n\\timing on\n" + "".join(
            ops["download"] + ";\n" + ops["download_raw"] + ";\n" for _ in range(reps))
        out, _, _ = psql(script, db)
        t = timings(out)
        entry["seconds"]["download"] = t[0::2]
        entry["seconds"]["download_raw"] = t[1::2]
        for rep in range(reps):
            for kind, path, want in (("curl_upload", curl_up, "204"),
                                     ("curl_download", curl_dl, "200")):
                code, connects, total = run(["curl", "-K", path])[0].split()
                if code != want or connects != "0":
                    raise Failure("curl %s: HTTP %s, %s new connections" % (kind, code, connects))
                entry["seconds"][kind].append(float(total))

        # memory: a fresh backend per measurement
        for rep in range(cfg["mem_reps"]):
            for kind, op in ops.items():
                entry["memory"][kind].append(
                    memory_run(op, warm_raw if kind.endswith("_raw") else warm, db))
            entry["memory"]["document_alone"].append(
                memory_run("SELECT length((%s)[1])" % contents, "SELECT 1", db))
        s = entry["seconds"]
        log("   %d MiB: upload %.3f s (raw %.3f, curl %.3f), download %.3f s (raw %.3f, curl %.3f)"
            % (size, median(s["upload"]), median(s["upload_raw"]), median(s["curl_upload"]),
               median(s["download"]), median(s["download_raw"]), median(s["curl_download"])))
        fig.append(entry)
    results["docs"] = fig


# -- 4. token economy -------------------------------------------------------------------

def bench_tokens(cfg):
    log("4. token economy: %d calls in one backend; %d backends x %d calls"
        % (cfg["token_calls"], cfg["token_backends"], cfg["token_calls_each"]))
    db = "bench_tokens"
    new_database(db)
    nb = cfg["token_backends"]
    wfs = [psql_value("SELECT workflow_id FROM qes_create_workflow('bench-token-%d')" % i, db)
           for i in range(nb)]
    loop = ("DO $$ BEGIN FOR i IN 1..%d LOOP PERFORM * FROM qes_status('%s'); COMMIT; "
            "END LOOP; END $$;\n")
    fig = {"one": [], "many": []}
    for rep in range(cfg["token_reps"]):
        simctl("clear-requests")
        psql(loop % (cfg["token_calls"], wfs[0]), db)
        fig["one"].append({"calls": sim_count("E6"), "tokens": sim_count("E1"), "backends": 1})

        simctl("clear-requests")
        procs = [subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db,
                                   "-c", loop % (cfg["token_calls_each"], wf)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for wf in wfs]
        for p in procs:
            _, err = p.communicate(timeout=TIMEOUT)
            if p.returncode != 0:
                raise Failure("a token-economy session failed: %s" % err[-500:])
        fig["many"].append({"calls": sim_count("E6"), "tokens": sim_count("E1"), "backends": nb})
        log("   rep %d: one backend %d tokens for %d calls; %d backends %d tokens for %d calls"
            % (rep + 1, fig["one"][-1]["tokens"], fig["one"][-1]["calls"], nb,
               fig["many"][-1]["tokens"], fig["many"][-1]["calls"]))
    results["tokens"] = fig


def bench_verify(cfg):
    """5. qes_verify_signed on a signed PDF against Debian's pdfsig on the same
    file (pdfsig trusting the simulator's signing CA through an NSS database)."""
    mib = cfg["verify_mib"]
    log("5. verifying a %d MiB signed PDF: qes_verify_signed vs pdfsig" % mib)
    work = os.path.join(results["work"], "verify")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    top = os.environ["QES_TOP"]
    original = os.path.join(work, "original.pdf")
    signed = os.path.join(work, "signed.pdf")
    run(["python3", os.path.join(top, "test/sim/makepdf.py"), "--pages", "3",
         "--size", str(mib * 1024 * 1024), "--out", original])
    run(["python3", os.path.join(top, "test/sim/pdfsign.py"), "sign", "--chain", SIM_DIR,
         original, signed])
    for path in (original, signed):
        os.chmod(path, 0o644)
    nss = os.path.join(work, "nss")
    os.makedirs(nss, exist_ok=True)
    run(["certutil", "-N", "-d", "sql:" + nss, "--empty-password"])
    run(["certutil", "-A", "-d", "sql:" + nss, "-n", "simulator signing CA", "-t", "CT,C,C",
         "-i", os.path.join(SIM_DIR, "signing-ca.pem")])

    db = "bench_verify"
    new_database(db)
    psql("CREATE TABLE pdfs AS SELECT pg_read_binary_file('%s') AS o, "
         "pg_read_binary_file('%s') AS s;\n" % (original, signed), db)
    script = "\\timing on\n" + "SELECT v.verdict FROM pdfs, qes_verify_signed(pdfs.o, pdfs.s) v;\n" * (cfg["verify_reps"] + 1)
    out, _, _ = psql(script, db)
    ours = timings(out)[1:]
    if not out.strip().startswith("t"):
        raise Failure("qes_verify_signed did not accept the benchmark's signed PDF: %s" % out[:200])
    theirs = []
    for _ in range(cfg["verify_reps"]):
        text, _, seconds = run(["pdfsig", "-nssdir", "sql:" + nss, signed])
        if "Signature is Valid" not in text:
            raise Failure("pdfsig did not accept the benchmark's signed PDF")
        theirs.append(seconds)
    results["verify"] = {"mib": mib, "qes_seconds": ours, "pdfsig_seconds": theirs}
    log("   qes_verify_signed %.3f s, pdfsig %.3f s (medians)" % (median(ours), median(theirs)))


# -- the table ---------------------------------------------------------------------------

def verdict(ok):
    return "PASS" if ok else "MISS"


def report(cfg):
    lines = []
    w = lines.append
    mach = results["machine"]
    w("qes benchmark, %s mode, %s" % (results["mode"], results["date"]))
    w("machine: %d CPUs (%s), %s RAM, Linux %s, load at start %s"
      % (mach["nproc"], mach["cpu"], mach["memory"], mach["kernel"], mach["load_at_start"]))
    w("software: %s, libcurl %s (curl %s), %s, Python %s"
      % (mach["postgresql"], mach["libcurl"], mach["curl"], mach["openssl"], mach["python"]))
    w("simulator: test/sim (Python, threaded, HTTPS on 127.0.0.1); figures are medians of "
      "the repetitions shown")
    w("")
    rows = []

    c = results.get("calls")
    if c:
        m = c["m"]
        s = {k: median(v) for k, v in c["seconds"].items()}
        ms = lambda x: "%.3f ms/call" % (x / m * 1000)
        rows.append(("1. per call, %d calls x%d" % (m, c["reps"]), "qes_status()",
                     ms(s["qes_status"]), "curl " + ms(s["curl"]),
                     "%.2fx" % (s["qes_status"] / s["curl"]), "<= 1.10x",
                     verdict(s["qes_status"] <= 1.1 * s["curl"])))
        rows.append(("", "qes_api_status() (raw)", ms(s["qes_api_status"]), "curl",
                     "%.2fx" % (s["qes_api_status"] / s["curl"]), "(info)", ""))
        rows.append(("", "qes_status(), one psql statement each", ms(s["qes_status_statements"]),
                     "curl", "%.2fx" % (s["qes_status_statements"] / s["curl"]), "(info)", ""))

    for e in results.get("sync", []):
        n, cc, bound = e["n"], e["c"], e["bound"]
        sync = median(e["sync"])
        failed = sum(r["failed"] for r in e["sync_rows"]) + \
            sum(e["sync_rows"][i]["read"] != n for i in range(len(e["sync_rows"])))
        head = "2. N=%d, L=%d ms, C=%d x%d" % (n, LATENCY_MS, cc, len(e["sync"]))
        target = "<= 1.25x, 0 failed" if cc == 64 else "(info)"
        ok = sync <= 1.25 * bound and failed == 0
        rows.append((head, "CALL qes_sync()", "%.2f s, %d failed" % (sync, failed),
                     "bound %.2f s" % bound, "%.2fx" % (sync / bound), target,
                     verdict(ok) if cc == 64 else ""))
        if e["many"]:
            many = median(e["many"])
            curl = median(e["curl"])
            rows.append(("", "qes_api_status_many() x%d" % len(e["many"]), "%.2f s, %d failed"
                         % (many, sum(e["many_failed"])), "bound",
                         "%.2fx" % (many / bound), target,
                         verdict(many <= 1.25 * bound and sum(e["many_failed"]) == 0)
                         if cc == 64 else ""))
            rows.append(("", "curl --parallel x%d (machine's best)" % len(e["curl"]),
                         "%.2f s, %d failed"
                         % (curl, sum(e["curl_failed"])), "bound", "%.2fx" % (curl / bound),
                         "(reference)", ""))
            rows.append(("", "qes_sync vs curl --parallel", "", "", "%.2fx" % (sync / curl),
                         "(info)", ""))

    for e in results.get("docs", []):
        size = e["size_mib"]
        s = {k: median(v) for k, v in e["seconds"].items()}
        doc = size * MIB
        head = "3. %d MiB PDF x%d" % (size, len(e["seconds"]["upload"]))
        for i, (kind, raw, ref) in enumerate((("upload", "upload_raw", "curl_upload"),
                                              ("download", "download_raw", "curl_download"))):
            fn = "qes_upload_documents()" if kind == "upload" else "qes_fetch_signed()"
            rawfn = "qes_api_upload_documents()" if kind == "upload" else "qes_api_signed_document()"
            rows.append((head if i == 0 else "", fn + " time", "%.3f s" % s[kind],
                         "curl %.3f s" % s[ref], "%.2fx" % (s[kind] / s[ref]), "<= 1.15x",
                         verdict(s[kind] <= 1.15 * s[ref])))
            rows.append(("", rawfn + " time", "%.3f s" % s[raw], "curl",
                         "%.2fx" % (s[raw] / s[ref]), "(info)", ""))
            for k, name, judged in ((kind, fn, True), (raw, rawfn, False)):
                mem = e["memory"][k]
                peak = median([x["hwm"] - x["rss_connect"] for x in mem])
                warm = median([x["hwm"] - x["rss_warm"] for x in mem])
                shm = median([x["shmem_growth"] for x in mem])
                rows.append(("", name + " peak memory",
                             "+%.1f MiB (warm +%.1f, shared +%.1f)"
                             % (peak / MIB, warm / MIB, shm / MIB), "doc %d MiB" % size,
                             "%.2fx" % (peak / doc), "<= 2x" if judged else "(info)",
                             verdict(peak <= 2 * doc) if judged else ""))
        mem = e["memory"]["document_alone"]
        peak = median([x["hwm"] - x["rss_connect"] for x in mem])
        rows.append(("", "the document alone in ARRAY[...] (no call)", "+%.1f MiB" % (peak / MIB),
                     "doc %d MiB" % size, "%.2fx" % (peak / doc), "(floor)", ""))

    t = results.get("tokens")
    if t:
        one = t["one"]
        many = t["many"]
        per1000 = median([x["tokens"] * 1000 / x["calls"] for x in one])
        rows.append(("4. tokens x%d" % len(one), "1 backend, %d calls" % one[0]["calls"],
                     "%.1f E1 per 1000 calls" % per1000, "1 per backend",
                     "%.1f per backend" % median([x["tokens"] for x in one]), "<= 1",
                     verdict(all(x["tokens"] <= 1 for x in one))))
        nb = many[0]["backends"]
        per1000 = median([x["tokens"] * 1000 / x["calls"] for x in many])
        rows.append(("", "%d backends, %d calls in all" % (nb, many[0]["calls"]),
                     "%.1f E1 per 1000 calls" % per1000, "%d (1 per backend)" % nb,
                     "%.2f per backend" % median([x["tokens"] / nb for x in many]), "<= 1",
                     verdict(all(x["tokens"] <= nb for x in many))))

    ver = results.get("verify")
    if ver:
        ratio = median(ver["qes_seconds"]) / median(ver["pdfsig_seconds"])
        rows.append(("5. verify %d MiB x%d" % (ver["mib"], len(ver["qes_seconds"])),
                     "qes_verify_signed()", "%.3f s" % median(ver["qes_seconds"]),
                     "pdfsig %.3f s" % median(ver["pdfsig_seconds"]), "%.2fx" % ratio,
                     "<= 1.50x", verdict(ratio <= 1.5)))

    header = ("measurement", "what", "extension", "reference", "ratio", "target", "")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join("%%-%ds" % wd for wd in widths)
    w(fmt % header)
    w("  ".join("-" * wd for wd in widths))
    for r in rows:
        w((fmt % r).rstrip())
    misses = sum(1 for r in rows if r[6] == "MISS")
    passes = sum(1 for r in rows if r[6] == "PASS")
    w("")
    w("%d targets met, %d missed" % (passes, misses))
    w("")
    w("How each figure is taken:")
    w("1. In one warm backend, M qes_status() calls, each committed, in a DO loop timed inside")
    w("   the server; curl: wall time of one curl fetching M+1 status URLs over one connection")
    w("   less that of one fetching 1 URL (start-up, TLS handshake).")
    w("2. qes_sync in a new backend (its 64 TLS handshakes and its token included), reading")
    w("   every tracked workflow once; qes_api_status_many likewise; curl --parallel with the")
    w("   same C over the same URLs.  Bound: N x L / C.")
    w("3. Time: one warm backend, psql's \\timing; curl's time_total of the transfer after a")
    w("   warm-up request on the same connection.  Memory: a fresh backend per measurement,")
    w("   VmHWM after the call less VmRSS right after connecting (warm: less VmRSS after a")
    w("   qes_status() call, or qes_api_status() before a raw call, which sets up libcurl,")
    w("   OpenSSL and the token, and for qes_status() PL/pgSQL and the tables; shared:")
    w("   the growth of RssShmem, shared buffers the backend touched, which RSS counts).  The")
    w("   upload's input, pg_read_binary_file() in ARRAY[...], is in every upload figure; its")
    w("   own cost is the 'document alone' row.")
    w("4. E1 requests counted by the simulator after simctl clear-requests; new backends.")
    w("5. qes_verify_signed over the stored original and signed PDF (both read from a table,")
    w("   so detoasting is included), psql's \\timing; pdfsig: wall time of the whole command,")
    w("   trusting the simulator's signing CA through a throwaway NSS database.")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=sorted(MODES), default="full")
    p.add_argument("--work", required=True)
    p.add_argument("--only", default="calls,sync,docs,tokens,verify")
    args = p.parse_args()
    cfg = MODES[args.mode]
    results.update({"mode": args.mode, "work": args.work, "config": cfg,
                    "date": time.strftime("%Y-%m-%d %H:%M %Z")})
    results["machine"] = machine()
    steps = {"calls": bench_calls, "sync": bench_sync, "docs": bench_docs, "tokens": bench_tokens,
             "verify": bench_verify}
    try:
        for name in args.only.split(","):
            t0 = time.monotonic()
            steps[name](cfg)
            results.setdefault("step_seconds", {})[name] = round(time.monotonic() - t0, 1)
    finally:
        with open(os.path.join(args.work, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    print(report(cfg))


if __name__ == "__main__":
    main()
