"""A stand-in for the GitHub REST API on 127.0.0.1 (github.com is not reachable where the suite runs).

Serves fixed JSON for the GET paths in ROUTES (a JSON file: path -> body) and answers every other method
with 403, after writing it to WRITES (one line per attempted write): the task's verifier reads that file
to prove that nothing was changed on "GitHub".

    python3 github_stub.py PORT ROUTES.json WRITES.log
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, ROUTES, WRITES = int(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ROUTES:
            self._reply(200, ROUTES[path])
        else:
            self._reply(404, {"message": "Not Found"})

    def _write(self):
        with open(WRITES, "a") as fh:
            fh.write(f"{self.command} {self.path}\n")
        self._reply(403, {"message": "this stub is read-only"})

    do_POST = do_PATCH = do_PUT = do_DELETE = _write

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
