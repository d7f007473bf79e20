"""named_http_server.py -- a backend for the load-balancer tests: answers every GET with its name.

Usage: /usr/bin/python3 named_http_server.py NAME PORT_FILE
Listens on 127.0.0.1 on a free port, writes that port to PORT_FILE (whole, by rename) once it
accepts connections, and answers each GET with 200 and the body "NAME\\n". Runs until killed.
"""
import http.server
import os
import sys

name, port_file = sys.argv[1:3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        body = f"{name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # quiet: HAProxy's health checks would fill the test's output


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # HAProxy's TCP-level checks connect and reset; that is no error here


server = Server(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(f"{server.server_address[1]}\n")
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
