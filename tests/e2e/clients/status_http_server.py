"""status_http_server.py -- a check target whose answer the test sets. HTTP: GET gets the
HTTP status written in DIR/NAME.status, and each GET adds a line to DIR/NAME.hits. TCP
(--tcp): accepts connections and closes them.

Usage: /usr/bin/python3 status_http_server.py [--tcp] DIR NAME [PORT]
Listens on 127.0.0.1, on PORT (to come back where a killed one was) or a free port, and writes
that port to DIR/NAME.port (whole, by rename) once it accepts connections. Runs until killed.
"""
import http.server
import os
import socket
import sys

args = sys.argv[1:]
tcp = args[:1] == ["--tcp"]
if tcp:
    args = args[1:]
work, name = args[:2]
port = int(args[2]) if len(args) > 2 else 0


def ready(bound):
    with open(f"{work}/{name}.port.tmp", "w") as f:
        f.write(str(bound))
    os.rename(f"{work}/{name}.port.tmp", f"{work}/{name}.port")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        with open(f"{work}/{name}.hits", "a") as f:
            f.write("x\n")
        with open(f"{work}/{name}.status") as f:
            code = int(f.read().strip())
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True  # a restarted target takes its port back at once


if tcp:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    ready(s.getsockname()[1])
    while True:
        s.accept()[0].close()
else:
    server = Server(("127.0.0.1", port), Handler)
    ready(server.server_address[1])
    server.serve_forever()
