# server.py: the HTTP/1.1 plumbing between the wire and the routes.
#
# A threaded server (one thread per connection, so a delayed answer holds up
# no one else) speaking HTTP/1.1 with keep-alive: every answer carries a
# Content-Length, so a client can send many requests over one connection.
# TLS is negotiated in the connection's own thread, not in the accept loop.
#
# For each API request: read the whole body, record it in the request log,
# take the next queued fault for its endpoint, wait (latency_ms plus the
# fault's delay), carry the request out unless the fault says not to, shape
# the answer as the fault says, and send it (or drop the connection).
# Requests under /_sim/ go to the control API, without faults or latency.

import gzip
import itertools
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import api
import control
from messages import Reply, Request, error_reply, find_route, refusal_reply
from state import Refusal

MAX_BODY = 300 * 1024 * 1024    # 10 documents of 25 MiB and then some
HANDSHAKE_TIMEOUT = 10          # seconds for a client to finish TLS
IDLE_TIMEOUT = 300              # seconds an idle keep-alive connection stays


class Backend:
    """What the handlers share: the simulation, faults, request log, logger."""

    def __init__(self, sim, faults, requests, quiet=False):
        self.sim = sim
        self.faults = faults
        self.requests = requests
        self.quiet = quiet
        self.log_lock = threading.Lock()
        self.switch = None              # the SwitchPort, once it listens

    def log(self, message, always=False):
        """One line to stderr.  Never give it a token, secret or number."""
        if self.quiet and not always:
            return
        with self.log_lock:
            sys.stderr.write("fourthline-sim: %s\n" % message)
            sys.stderr.flush()


class BodyError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fourthline-sim/1"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True
    connections = itertools.count(1)    # numbers the connections, for the log

    def setup(self):
        super().setup()
        self.connection_number = next(Handler.connections)

    def do_GET(self):
        self.serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        pass            # serve() logs each request itself

    def log_message(self, format, *args):
        self.server.backend.log("%s: %s" % (self.server.label, format % args))

    def serve(self):
        backend = self.server.backend
        started = time.monotonic()
        try:
            body = self.read_body()
        except BodyError as e:
            self.close_connection = True
            self.send_reply(error_reply(e.status, e.code, str(e)))
            backend.log("%s %s -> %d (%s)" % (self.command, self.path, e.status, e.code))
            return
        request = Request(self.command, self.path, self.headers, body)
        request.connection = self.connection_number

        if request.path == "/_sim" or request.path.startswith("/_sim/"):
            label = "control"
            reply = control.handle(backend, request)
            self.send_reply(reply)
            status = reply.status
        else:
            label, status = self.serve_api(request)
        backend.log("%s %s %s -> %s (%d ms, %d bytes in)"
                    % (label, self.command, request.path,
                       "dropped" if status is None else status,
                       (time.monotonic() - started) * 1000, len(body)))

    def serve_api(self, request):
        """Serve one Fourthline API request; return (endpoint, status sent)."""
        backend = self.server.backend
        sim = backend.sim
        route, params = find_route(api.ENDPOINTS, request.method, request.path)
        if route is None:
            entry = backend.requests.record(request, None, None, None)
            reply = error_reply(params, "not_found" if params == 404 else
                                "method_not_allowed", "no such endpoint")
            backend.requests.answered(entry, reply.status)
            self.send_reply(reply)
            return "-", reply.status

        request.params = params
        token = request.bearer_token()
        token_valid = sim.token_state(token) == "valid" if token else None
        entry = backend.requests.record(request, route.name, route.template, token_valid)
        fault = backend.faults.take(route.name)

        delay_ms = sim.get_config()["latency_ms"] + (fault.delay_ms if fault else 0)
        if delay_ms > 0:
            time.sleep(delay_ms / 1000.0)

        reply = None
        if fault is None or fault.runs_request():
            reply = self.carry_out(route, request)
        if fault is not None:
            if fault.drop:
                backend.requests.answered(entry, None, fault.spec)
                self.close_connection = True
                return route.name, None
            reply = fault.shape(reply, Reply)
        backend.requests.answered(entry, reply.status, fault.spec if fault else None)
        self.send_reply(reply, truncate=bool(fault and fault.truncate), fault=fault)
        return route.name, reply.status

    def carry_out(self, route, request):
        try:
            return api.serve(self.server.backend.sim, route, request)
        except Refusal as refusal:
            reply = refusal_reply(refusal)
            if refusal.status == 401:
                reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return reply
        except Exception:
            self.server.backend.log("internal error in %s:\n%s"
                                    % (route.name, traceback.format_exc()), always=True)
            return error_reply(500, "simulator_error", "the simulator failed")

    def read_body(self):
        """The whole request body, by Content-Length or chunked."""
        encoding = (self.headers.get("Transfer-Encoding") or "identity").lower()
        if encoding != "identity":
            if encoding != "chunked":
                raise BodyError(501, "unsupported_transfer_encoding",
                                "only chunked transfer encoding is understood")
            return self.read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            raise BodyError(400, "invalid_content_length", "bad Content-Length")
        if n > MAX_BODY:
            raise BodyError(413, "body_too_large", "the request body is too large")
        return self.read_exactly(n)

    def read_exactly(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            raise BodyError(400, "incomplete_body", "the request body ended early")
        return data

    def read_chunked(self):
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BodyError(400, "invalid_chunk", "bad chunk size line")
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise BodyError(413, "body_too_large", "the request body is too large")
            chunks.append(self.read_exactly(size))
            self.rfile.readline(16)                     # CRLF after the chunk
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass                                        # trailer fields
        return b"".join(chunks)

    def send_reply(self, reply, truncate=False, fault=None):
        """
        Send REPLY with a Content-Length.  TRUNCATE sends only the first half
        of the body (announcing all of it, at least 64 bytes) and then closes.
        A FAULT may also ask for an interim answer first, a gzip-encoded or
        chunked body, or a stall in the middle of the body.
        """
        try:
            if fault is not None and fault.interim is not None:
                self.send_response_only(fault.interim)
                self.end_headers()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            has_body = reply.status >= 200 and reply.status not in (204, 304)
            body = reply.body if has_body else b""
            chunked = has_body and fault is not None and fault.chunked
            if has_body:
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                if fault is not None and fault.gzip:
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(max(len(body), 64) if truncate
                                                           else len(body)))
            if truncate:
                body = body[:len(body) // 2]
                self.close_connection = True
            elif self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if chunked:
                body = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                                for i in range(0, len(body), 7)) + b"0\r\n\r\n"
            if fault is not None and fault.stall_ms:
                half = len(body) // 2
                self.wfile.write(body[:half])
                self.wfile.flush()
                time.sleep(fault.stall_ms / 1000.0)
                body = body[half:]
            self.wfile.write(body)
        except OSError:
            self.close_connection = True


class SimServer(ThreadingHTTPServer):
    """One listening socket on 127.0.0.1, with TLS or without."""

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, port, backend, ssl_context, label):
        self.backend = backend
        self.ssl_context = ssl_context
        self.label = label
        self.open_sockets = set()
        self.open_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)

    def close_connections(self):
        """Cut every connection this listener has open."""
        with self.open_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def server_bind(self):
        # HTTPServer.server_bind would look our own name up (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request_thread(self, request, client_address):
        with self.open_lock:
            self.open_sockets.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.open_lock:
                self.open_sockets.discard(request)

    def finish_request(self, request, client_address):
        """Runs in the connection's thread: TLS handshake, then HTTP."""
        if self.ssl_context is None:
            connection = request
        else:
            request.settimeout(HANDSHAKE_TIMEOUT)
            try:
                connection = self.ssl_context.wrap_socket(request, server_side=True)
            except (OSError, ValueError) as e:
                self.backend.log("%s: TLS handshake failed: %s" % (self.label, e))
                return
            # the TLS socket took the file descriptor over from REQUEST
            with self.open_lock:
                self.open_sockets.add(connection)
        try:
            self.RequestHandlerClass(connection, client_address, self)
        except OSError:
            pass                # the client went away; nothing to answer
        finally:
            if connection is not request:
                with self.open_lock:
                    self.open_sockets.discard(connection)
                connection.close()

    def handle_error(self, request, client_address):
        self.backend.log("%s: error on a connection: %s"
                         % (self.label, sys.exc_info()[1]), always=True)

    def url(self):
        scheme = "http" if self.ssl_context is None else "https"
        return "%s://127.0.0.1:%d" % (scheme, self.server_address[1])


def tls_context(cert_file, key_file):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx



class SwitchPort:
    """
    A port whose listener a test can change, to make the network fail in
    ways a server that answers cannot: "normal" serves the API like the main
    port; "refuse" listens no more (connection refused); "silent" accepts
    connections and never says a word (a stalled TLS handshake); "backlog"
    listens with a full accept queue, so a connection attempt is never
    answered (a stalled TCP connect); "deaf" completes the TLS handshake and
    then reads nothing (a request that stalls while it is sent).  Every change cuts the connections of
    the mode before it, so that a client's kept-alive connection cannot hide
    the new behaviour.
    """

    MODES = ("normal", "refuse", "silent", "backlog", "deaf")

    def __init__(self, backend, ssl_context):
        self.backend = backend
        self.ssl_context = ssl_context
        self.lock = threading.Lock()
        self.held = []              # sockets of silent and backlog modes
        self.raw = None             # their listening socket
        self.server = None
        self.mode = None
        self.port = 0
        self.start_normal()
        self.port = self.server.server_address[1]

    def start_normal(self):
        self.server = SimServer(self.port, self.backend, self.ssl_context, "switch_port")
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="switch_port", daemon=True).start()
        self.mode = "normal"

    def leave(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server.close_connections()
            self.server = None
        for sock in self.held:
            sock.close()
        self.held = []
        if self.raw is not None:
            # shutdown wakes a thread blocked in accept(); close alone would
            # leave the port listening until that accept() returned
            try:
                self.raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.raw.close()
            self.raw = None

    def listen_raw(self, backlog):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(backlog)
        self.raw = sock

    def hold_silently(self, listener, handshake=False):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return              # the mode changed and closed the listener
            with self.lock:
                if self.raw is not listener:
                    conn.close()
                    return
                self.held.append(conn)
            if handshake:
                threading.Thread(target=self.shake_hands, args=(conn,),
                                 daemon=True).start()

    def shake_hands(self, conn):
        """Finish the TLS handshake on CONN, then read nothing."""
        try:
            conn.settimeout(HANDSHAKE_TIMEOUT)
            tls = self.ssl_context.wrap_socket(conn, server_side=True)
        except (OSError, ValueError):
            return
        with self.lock:
            self.held.append(tls)

    def set_mode(self, mode):
        if mode not in self.MODES:
            raise ValueError("mode must be one of %s" % ", ".join(self.MODES))
        with self.lock:
            if mode == self.mode:
                return
            self.leave()
            self.mode = mode
            if mode == "normal":
                self.start_normal()
            elif mode in ("silent", "deaf"):
                self.listen_raw(16)
                threading.Thread(target=self.hold_silently,
                                 args=(self.raw, mode == "deaf"), daemon=True).start()
            elif mode == "backlog":
                # a backlog of 0 queues one connection; fill the queue with
                # our own, and the kernel drops every SYN after them
                self.listen_raw(0)
                for _ in range(3):
                    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    filler.setblocking(False)
                    try:
                        filler.connect(("127.0.0.1", self.port))
                    except BlockingIOError:
                        pass
                    self.held.append(filler)
        self.backend.log("switch_port: %s" % mode)
