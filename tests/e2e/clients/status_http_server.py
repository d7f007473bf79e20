"""status_http_server.py -- a check target whose answer the test sets: GET gets the HTTP status
written in DIR/NAME.status, and each GET adds a line to DIR/NAME.hits.

Usage: /usr/bin/python3 status_http_server.py DIR NAME
Listens on 127.0.0.1 on a free port and writes that port to DIR/NAME.port (whole, by rename)
once it accepts connections. Runs until killed.
"""
import http.server
import os
import sys

work, name = sys.argv[1:3]


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


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(f"{work}/{name}.port.tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(f"{work}/{name}.port.tmp", f"{work}/{name}.port")
server.serve_forever()
