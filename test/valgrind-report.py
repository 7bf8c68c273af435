#!/usr/bin/env python3
# valgrind-report.py: read the logs that memcheck wrote for a server and
# its backends (test/valgrind, one PID.log a process) and report what
# concerns qes:
#
#   (a) every error (invalid read or write, uninitialised value, invalid
#       free, overlap, bad syscall parameter, ...) with a frame of qes in
#       any of its stacks: that covers libcurl, json-c or OpenSSL called
#       from qes, and a block that qes freed or allocated;
#   (b) every definitely or indirectly lost record whose allocation stack
#       passes through qes.
#
# A frame is ours when it is in QES_SO (no debug information) or in a source
# file under QES_SRC (valgrind ran with --fullpath-after=, so that frames
# carry the full path that the debug information records).  Possibly lost
# records through qes are listed too, without failing.  Everything else is
# PostgreSQL's own business: Debian builds it without USE_VALGRIND, so
# palloc'd memory is invisible to memcheck.
#
#   valgrind-report.py --qes-so PATH --qes-src DIR/ [--server-log FILE]
#                      [--tests-ran N] PID.log ...
#
# Exit status 0 when nothing of (a) or (b) was found, every backend the
# server log names has a complete log, and the suite ran; 1 otherwise.

import argparse
import os
import re
import sys

FRAME = re.compile(r"^\s+(?:at|by) 0x[0-9A-Fa-f]+: (.*)$")
LEAK = re.compile(r"^([\d,]+)(?: \(([\d,]+) direct, ([\d,]+) indirect\))? bytes in "
                  r"([\d,]+) blocks are (definitely|indirectly|possibly) lost")
PREFIX = re.compile(r"^==(\d+)== ?")


def records(path):
    """The log's records: lists of lines, without the ==PID== prefix."""
    rec = []
    with open(path, errors="replace") as f:
        for raw in f:
            line = PREFIX.sub("", raw.rstrip("\n"), count=1)
            if line.strip() == "":
                if rec:
                    yield rec
                rec = []
            else:
                rec.append(line)
    if rec:
        yield rec


def number(text):
    return int(text.replace(",", ""))


def show(found, limit):
    """Print the records, the same stack in several processes once: the
    largest first, with the processes it was seen in."""
    groups = {}
    for pid, nbytes, text in found:
        # the same record in another process differs in its numbers only
        key = re.sub(r"\b0x[0-9A-Fa-f]+\b|[\d,]+", "#", text)
        g = groups.setdefault(key, [0, [], text])
        g[0] += nbytes
        g[1].append(pid)
    for nbytes, pids, text in sorted(groups.values(), key=lambda g: -g[0])[:limit]:
        print("  in %d process(es) (%s%s):\n    %s"
              % (len(pids), ", ".join(pids[:5]), ", ..." if len(pids) > 5 else "",
                 text))
    if len(groups) > limit:
        print("  ... and %d more stacks (see the logs)" % (len(groups) - limit))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qes-so", required=True)
    ap.add_argument("--qes-src", required=True)
    ap.add_argument("--server-log")
    ap.add_argument("--tests-ran", type=int, default=None)
    ap.add_argument("logs", nargs="*")
    args = ap.parse_args()
    marks = ("(in %s)" % args.qes_so, "(in %s)" % os.path.realpath(args.qes_so),
             "(%s" % args.qes_src)

    def ours(line):
        return any(m in line for m in marks)

    complete = {}           # pid -> the log has its ERROR SUMMARY
    errors = []             # texts
    leaks = []              # (bytes, text)
    possible = []
    noise_errors = 0
    noise_leaks = 0
    problems = []

    for path in args.logs:
        pid = os.path.basename(path).split(".")[0]
        complete[pid] = False
        for rec in records(path):
            head = rec[0]
            if any(l.startswith("ERROR SUMMARY:") for l in rec):
                complete[pid] = True
                continue
            frames = [l for l in rec if FRAME.match(l)]
            if not frames:
                continue        # headers and summaries
            mine = any(ours(l) for l in frames)
            text = "\n      ".join([head] + [l.strip() for l in rec[1:17]])
            m = LEAK.match(head)
            if m:
                kind = m.group(5)
                if kind == "possibly":
                    if mine:
                        possible.append((pid, number(m.group(1)), text))
                elif mine:
                    leaks.append((pid, number(m.group(1)), text))
                else:
                    noise_leaks += 1
            elif mine:
                errors.append((pid, 0, text))
            else:
                noise_errors += 1

    # the backends: every connection the server log names
    backends = set()
    if args.server_log and os.path.exists(args.server_log):
        with open(args.server_log, errors="replace") as f:
            for line in f:
                m = re.search(r"\[(\d+)\] LOG:  connection received", line)
                if m:
                    backends.add(m.group(1))
    checked = [p for p in backends if complete.get(p)]
    missing = sorted(p for p in backends if not complete.get(p))
    others = [p for p in complete if p not in backends]

    print("valgrind: %d backends checked (of %d connections in the server log), "
          "and %d other processes (postmaster, checkpointer, ...); "
          "%d logs complete of %d"
          % (len(checked), len(backends), len(others),
             sum(1 for ok in complete.values() if ok), len(complete)))
    if missing:
        problems.append("no complete valgrind log for backend(s) %s"
                        % ", ".join(missing[:10]))
    if not backends:
        problems.append("no backend found in the server log")
    if args.tests_ran is not None and args.tests_ran < 1:
        problems.append("the regression suite did not run")

    print("valgrind: errors with a frame in qes: %d" % len(errors))
    show(errors, 10)
    print("valgrind: definitely or indirectly lost through qes: %d records, %d bytes"
          % (len(leaks), sum(b for _, b, _ in leaks)))
    show(leaks, 10)
    print("valgrind: possibly lost through qes (not judged): %d records, %d bytes"
          % (len(possible), sum(b for _, b, _ in possible)))
    show(possible, 3)
    print("valgrind: not ours (no frame in qes): %d errors, %d lost records"
          % (noise_errors, noise_leaks))
    for p in problems:
        print("valgrind: %s" % p)
    return 1 if errors or leaks or problems else 0


if __name__ == "__main__":
    sys.exit(main())
