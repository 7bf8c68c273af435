#!/usr/bin/env python3
# fourthline_sim.py: start the Fourthline QES API simulator.
#
#   python3 test/sim/fourthline_sim.py --state-dir DIR [--port 0]
#       [--client-id test-client] [--client-secret test-secret]
#       [--plain-http-port N] [--quiet]
#
# Makes throwaway certificates in DIR (tlscerts.py) and a throwaway signing
# chain (pdfsign.py: DIR/signing-ca.pem is its root), then listens on
# 127.0.0.1 only:
#   DIR/port            the API (api.py) and the control API (control.py), HTTPS
#   DIR/expired_port    the same, behind an expired certificate
#   DIR/wronghost_port  the same, behind a certificate for wrong.example
#   DIR/plain_port      the same over plain HTTP, with --plain-http-port
#   DIR/switch_port     the same, until a test changes its listener to refuse
#                       connections, hold them silently or leave them waiting
#                       in a full accept queue (POST /_sim/listener)
# writes DIR/pid, prints "READY https://127.0.0.1:PORT" on stdout, and serves
# until SIGTERM or SIGINT.  Log lines go to stderr.

import argparse
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True      # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import faults                                   # noqa: E402
import pdfsign                                  # noqa: E402
import requestlog                               # noqa: E402
import server                                   # noqa: E402
import state                                    # noqa: E402
import tlscerts                                 # noqa: E402


def write_file(state_dir, name, text):
    """Write DIR/NAME atomically, world-readable."""
    path = os.path.join(state_dir, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Fourthline QES API simulator")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--port", type=int, default=0, help="main HTTPS port (0: any free)")
    p.add_argument("--client-id", default="test-client")
    p.add_argument("--client-secret", default="test-secret")
    p.add_argument("--plain-http-port", type=int, default=None,
                   help="also serve the API over plain HTTP on this port (0: any)")
    p.add_argument("--quiet", action="store_true", help="no log line per request")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    os.chmod(state_dir, 0o755)

    try:
        certs = tlscerts.make_certificates(state_dir)
    except tlscerts.CertificateError as e:
        print("fourthline-sim: %s" % e, file=sys.stderr)
        return 1
    try:
        pdfsign.make_signing_chain(state_dir)
    except pdfsign.SigningError as e:
        print("fourthline-sim: %s" % e, file=sys.stderr)
        return 1

    backend = server.Backend(state.Simulation(args.client_id, args.client_secret),
                             faults.FaultQueue(), requestlog.RequestLog(), args.quiet)
    plan = [("port", args.port, certs["server"]),
            ("expired_port", 0, certs["expired"]),
            ("wronghost_port", 0, certs["wronghost"])]
    if args.plain_http_port is not None:
        plan.append(("plain_port", args.plain_http_port, None))

    servers = []
    try:
        for name, port, cert in plan:
            ctx = server.tls_context(cert, certs["key"]) if cert else None
            servers.append((name, server.SimServer(port, backend, ctx, name)))
    except OSError as e:
        print("fourthline-sim: cannot listen: %s" % e, file=sys.stderr)
        return 1

    for name, srv in servers:
        threading.Thread(target=srv.serve_forever, name=name, daemon=True).start()
        write_file(state_dir, name, "%d\n" % srv.server_address[1])
    try:
        backend.switch = server.SwitchPort(backend, server.tls_context(certs["server"],
                                                                       certs["key"]))
    except OSError as e:
        print("fourthline-sim: cannot listen: %s" % e, file=sys.stderr)
        return 1
    write_file(state_dir, "switch_port", "%d\n" % backend.switch.port)
    write_file(state_dir, "pid", "%d\n" % os.getpid())

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    main_server = servers[0][1]
    backend.log("listening: " + ", ".join("%s %s" % (n, s.url()) for n, s in servers),
                always=True)
    try:
        print("READY " + main_server.url(), flush=True)
    except BrokenPipeError:
        pass

    while not stop.wait(0.5):
        pass

    for _, srv in servers:
        srv.shutdown()
        srv.server_close()
    with backend.switch.lock:
        backend.switch.leave()
    try:
        os.unlink(os.path.join(state_dir, "pid"))
    except OSError:
        pass
    backend.log("stopped", always=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
