#!/usr/bin/python3
"""A static plugin registry for the plugin:// source tests: serves DIR on 127.0.0.1:PORT (index.json, index.json.sig,
archives), plus /redirect/N/PATH -> /PATH on the same host, and /away/PATH -> the same path on localhost:PORT2 (another
host name, which resh must not follow). Started and stopped by PID by the test fixture.
usage: plugin-registry.py DIR PORT PIDFILE"""
import functools, http.server, os, sys

root, port, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/away/"):
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/" + self.path[len("/away/"):])
            self.end_headers()
            return
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", "/" + self.path[len("/redirect/"):])
            self.end_headers()
            return
        super().do_GET()

server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=root))
with open(pidfile + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(pidfile + ".tmp", pidfile)
server.serve_forever()
