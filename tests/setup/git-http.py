#!/usr/bin/env python3
"""Smart-HTTP git server for the git:// token tests: git-http-backend behind HTTP Basic auth on loopback.
usage: git-http.py PORT PROJECT_ROOT USER TOKEN_FILE PIDFILE  (the token is read from a file, never argv)."""
import base64, os, subprocess, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, root, user, token_file, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
with open(token_file) as f:
    token = f.read().strip()
expected = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def handle_any(self):
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path, QUERY_STRING=query,
                   REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""), REMOTE_USER=user,
                   CONTENT_LENGTH=str(len(body)), GIT_HTTP_RECEIVE_PACK="1")
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            if not line:
                continue
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            else:
                headers.append((k, v.strip()))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = handle_any
    do_POST = handle_any


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))
server.serve_forever()
