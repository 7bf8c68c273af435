#!/usr/bin/env python3
# simcheck.py: bulk actions on the simulator and the comparison of its state
# with the extension's tables, for the scripted sync tests.
#
#   simcheck.py ineligible PREFIX N      clients PREFIX1..PREFIXN fail the
#                                        identity check
#   simcheck.py sign-all                 the signer finishes every workflow
#                                        that has an SDK session
#   simcheck.py workflow-id REF          the id of the newest workflow of
#                                        client reference REF, or nothing
#   simcheck.py compare ROWS.json        compare the tables (JSON lines from
#                                        psql, see sync-scale.sh) with the
#                                        simulator; print one line a problem
#                                        and a summary; exit 1 on a problem
#
# Talks to the control API of the simulator in $QES_SIM_DIR over one
# kept-alive connection, so a thousand calls take a second or two.

import http.client
import json
import os
import ssl
import sys


class Control:
    def __init__(self):
        state_dir = os.environ["QES_SIM_DIR"]
        with open(os.path.join(state_dir, "port")) as f:
            port = int(f.read())
        ctx = ssl.create_default_context(cafile=os.path.join(state_dir, "ca.pem"))
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data else {}
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)


def ineligible(ctl, prefix, n):
    for i in range(1, n + 1):
        status, _ = ctl.call("POST", "/_sim/clients/%s%d/eligible" % (prefix, i),
                             {"eligible": False})
        if status != 200:
            sys.exit("simcheck: could not mark %s%d ineligible" % (prefix, i))


def sign_all(ctl):
    _, workflows = ctl.call("GET", "/_sim/workflows")
    signed = 0
    for w in workflows:
        status, state = ctl.call("GET", "/_sim/workflows/%s" % w["workflowId"])
        if state["status"] == "pending" and state.get("sessions", 0) > 0:
            status, _ = ctl.call("POST", "/_sim/workflows/%s/signer" % w["workflowId"],
                                 {"step": "done"})
            if status == 200:
                signed += 1
    print("signed by the signer: %d" % signed)


def compare(ctl, rows_file):
    """Each table row must agree with the simulator; the simulator must hold
    no workflow that the tables do not know, and no client twice."""
    rows = [json.loads(line) for line in open(rows_file) if line.strip()]
    _, workflows = ctl.call("GET", "/_sim/workflows")
    by_ref = {}
    for w in workflows:
        by_ref.setdefault(w["partnerClientId"], []).append(w)

    problems = []
    operator = 0
    for ref, ws in by_ref.items():
        if len(ws) > 1:
            problems.append("duplicate at the simulator: %s has %d workflows" % (ref, len(ws)))
    known_refs = set()
    for row in rows:
        ref = row["partner_client_id"]
        known_refs.add(ref)
        sim = by_ref.get(ref, [])
        if row["needs_operator"]:
            operator += 1
            continue
        if row["workflow_id"] is None:
            if sim:
                problems.append("%s: the tables say not created, the simulator has %s"
                                % (ref, sim[0]["workflowId"]))
            continue
        if not sim or sim[-1]["workflowId"] != row["workflow_id"]:
            problems.append("%s: workflow %s is not the simulator's" % (ref, row["workflow_id"]))
            continue
        _, state = ctl.call("GET", "/_sim/workflows/%s" % row["workflow_id"])
        if state["status"] != row["status"]:
            problems.append("%s: status %s in the tables, %s at the simulator"
                            % (ref, row["status"], state["status"]))
        sim_docs = {d["documentId"]: d["sha256"] for d in state.get("documents", [])}
        for doc in row["documents"] or []:
            if doc["uploaded"] and sim_docs.get(doc["document_id"]) != doc["sha256"]:
                problems.append("%s: document %s differs" % (ref, doc["document_id"]))
        if row["mobile_uploaded"] and state.get("mobile_set_count", 0) < 1:
            problems.append("%s: number uploaded in the tables, not at the simulator" % ref)
        if state.get("mobile_set_count", 0) > 1:
            problems.append("%s: the number was uploaded %d times"
                            % (ref, state["mobile_set_count"]))
    for ref in by_ref:
        if ref not in known_refs:
            problems.append("the simulator has a workflow for %s, unknown to the tables" % ref)

    for p in problems[:50]:
        print("PROBLEM " + p)
    statuses = {}
    for row in rows:
        statuses[row["status"] or "queued"] = statuses.get(row["status"] or "queued", 0) + 1
    print("rows %d, simulator workflows %d, needing an operator %d, statuses %s, problems %d"
          % (len(rows), len(workflows), operator,
             " ".join("%s=%d" % kv for kv in sorted(statuses.items())), len(problems)))
    return 1 if problems else 0


def main(argv):
    ctl = Control()
    if argv[:1] == ["ineligible"] and len(argv) == 3:
        ineligible(ctl, argv[1], int(argv[2]))
    elif argv == ["sign-all"]:
        sign_all(ctl)
    elif argv[:1] == ["workflow-id"] and len(argv) == 2:
        _, workflows = ctl.call("GET", "/_sim/workflows")
        ids = [w["workflowId"] for w in workflows if w["partnerClientId"] == argv[1]]
        if ids:
            print(ids[-1])
    elif argv[:1] == ["compare"] and len(argv) == 2:
        return compare(ctl, argv[1])
    else:
        sys.exit("usage: simcheck.py ineligible PREFIX N | sign-all | workflow-id REF"
                 " | compare ROWS.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
