#!/usr/bin/env python3
"""MCP over Streamable HTTP (issue 18): a file_read tools/call round trip inside one session of `resh serve --mcp`.

    bench/mcp-http.py [RESH] [ROUNDS]      # RESH defaults to .build/resh/resh, ROUNDS to 500

Starts `resh serve --mcp` on a free loopback port with its own state dir, a token of a role that may read files,
opens a session (initialize), lists the tools once, then times ROUNDS tools/call file_read of /etc/hostname: wall
time from sending the POST to reading the whole answer, on one kept-alive connection (http.client, no SDK in the
timed path), and the same with a new connection per call. Prints markdown table rows.
"""
import http.client, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
resh = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build", "resh", "resh")
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 500

work = tempfile.mkdtemp(prefix="resh-bench-mcphttp.")
env = dict(os.environ, RESH_HOME=os.path.join(work, "home"), RESH_CONFIG=os.path.join(work, "config.toml"))
with open(env["RESH_CONFIG"], "w") as f:
    f.write('[roles.bench]\nallow = ["file.read", "file.stat"]\nread_only = true\n')
token = json.loads(subprocess.check_output([resh, "token", "create", "name=bench", "role=bench", "--format", "json"], env=env))["result"]["token"]
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
log = open(os.path.join(work, "serve.log"), "w+")
server = subprocess.Popen([resh, "serve", "--mcp", "--listen", f"127.0.0.1:{port}"], stderr=log, env=env)


def summary(xs):
    xs = sorted(xs)
    return f"{statistics.median(xs):.2f}", f"{xs[max(0, int(len(xs) * 0.95) - 1)]:.2f}", f"{xs[-1]:.2f}"


try:
    for _ in range(100):
        log.seek(0)
        if "MCP at" in log.read():
            break
        time.sleep(0.1)
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    conn = http.client.HTTPConnection("127.0.0.1", port)
    n = 0

    def post(method, params, session, c=None):
        global n
        n += 1
        h = dict(headers)
        if session:
            h["Mcp-Session-Id"] = session
        body = json.dumps({"jsonrpc": "2.0", "id": n, "method": method, "params": params})
        t = time.perf_counter()
        c = c or conn
        c.request("POST", "/mcp", body, h)
        r = c.getresponse()
        data = r.read()
        ms = (time.perf_counter() - t) * 1000
        assert r.status == 200, (r.status, data)
        reply = json.loads(data)
        assert reply.get("id") == n and "result" in reply, reply
        return reply["result"], ms, r.getheader("Mcp-Session-Id")

    _, init_ms, session = post("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}, None)
    _, list_ms, _ = post("tools/list", {}, session)
    args = {"name": "file_read", "arguments": {"target": "file:///etc/hostname"}}
    for _ in range(20):
        post("tools/call", args, session)
    kept = []
    for _ in range(rounds):
        result, ms, _ = post("tools/call", args, session)
        assert not result["isError"], result
        kept.append(ms)
    fresh = []
    for _ in range(min(rounds, 200)):
        c = http.client.HTTPConnection("127.0.0.1", port)
        _, ms, _ = post("tools/call", args, session, c)
        c.close()
        fresh.append(ms)
    load = os.getloadavg()[0]
    print("| measurement | median ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| initialize (opens the session) | {init_ms:.2f} | | |")
    print(f"| tools/list, first page, first in the server | {list_ms:.2f} | | |")
    print("| tools/call file_read /etc/hostname, one kept-alive connection ({} calls) | {} | {} | {} |".format(rounds, *summary(kept)))
    print("| tools/call file_read /etc/hostname, a new connection per call ({} calls) | {} | {} | {} |".format(len(fresh), *summary(fresh)))
    print(f"\nload average {load:.1f}")
finally:
    server.terminate()
    server.wait(timeout=10)
    log.close()
    shutil.rmtree(work, ignore_errors=True)
