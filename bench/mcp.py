#!/usr/bin/env python3
"""MCP over stdio (issue 18): tools/list with every verb, and a file_read tools/call round trip inside one session.

    bench/mcp.py [RESH] [ROUNDS]      # RESH defaults to .build/resh/resh, ROUNDS to 200

Speaks raw JSON-RPC lines to `resh mcp` (no SDK in the timed path) and prints a markdown table: the first
tools/list of a session (every handle's declarations and schemas built), later tools/list pages (cached), the
whole list (every page), and file_read of /etc/hostname. Times are wall-clock from writing the request line to
reading its answer line.
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
resh = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build", "resh", "resh")
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 200


class Session:
    """A `resh mcp` process with its own state dir (RESH_HOME): a fresh one has no tools/list cache."""
    def __init__(self, home):
        self.p = subprocess.Popen([resh, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ, RESH_HOME=home))
        self.n = 0

    def call(self, method, params=None):
        self.n += 1
        msg = {"jsonrpc": "2.0", "id": self.n, "method": method}
        if params is not None:
            msg["params"] = params
        line = (json.dumps(msg) + "\n").encode()
        t = time.perf_counter()
        self.p.stdin.write(line)
        self.p.stdin.flush()
        answer = self.p.stdout.readline()
        ms = (time.perf_counter() - t) * 1000
        reply = json.loads(answer)
        assert reply.get("id") == self.n and "result" in reply, reply
        return reply["result"], ms, len(answer)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def all_pages(s):
    total, tools, cursor = 0.0, 0, None
    while True:
        r, ms, _ = s.call("tools/list", {"cursor": cursor} if cursor else {})
        total += ms
        tools += len(r["tools"])
        cursor = r.get("nextCursor")
        if not cursor:
            return tools, total


def summary(xs):
    xs = sorted(xs)
    return f"{statistics.median(xs):.2f}", f"{xs[int(len(xs) * 0.95) - 1]:.2f}", f"{xs[-1]:.2f}"


INIT = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
first_list, first_all, warm_list, warm_all, later_all, reads, sizes = [], [], [], [], [], [], 0
homes = []
for session in range(max(3, rounds // 40)):
    home = tempfile.mkdtemp(prefix="resh-bench-mcp-")
    homes.append(home)
    s = Session(home)  # a state dir without the tools/list cache: every handle and schema is built
    s.call("initialize", INIT)
    _, ms, sizes = s.call("tools/list")
    first_list.append(ms)
    s.close()
    s = Session(tempfile.mkdtemp(prefix="resh-bench-mcp-", dir=home))  # cold again: every page of the list
    s.call("initialize", INIT)
    tools, ms_all = all_pages(s)
    first_all.append(ms_all)
    s.close()
    s = Session(home)  # the state dir the first session left its cache in
    s.call("initialize", INIT)
    _, ms, _ = s.call("tools/list")
    warm_list.append(ms)
    s.close()
    s = Session(home)
    s.call("initialize", INIT)
    tools, ms_all = all_pages(s)
    warm_all.append(ms_all)
    tools, ms_all = all_pages(s)
    later_all.append(ms_all)
    for _ in range(rounds // max(3, rounds // 40)):
        r, ms, _ = s.call("tools/call", {"name": "file_read", "arguments": {"target": "file:///etc/hostname"}})
        assert r["structuredContent"]["ok"], r
        reads.append(ms)
    s.close()

print(f"| measurement (resh mcp over stdio, {tools} tools) | median ms | p95 ms | max ms |")
print("|---|---|---|---|")
print("| first tools/list of a session, no cache in the state dir (page 1, handles and schemas built) | %s | %s | %s |" % summary(first_list))
print("| tools/list, every page, first in a session, no cache | %s | %s | %s |" % summary(first_all))
print("| first tools/list of a later session (page 1 from the state dir's cache) | %s | %s | %s |" % summary(warm_list))
print("| tools/list, every page, first in a later session (cache) | %s | %s | %s |" % summary(warm_all))
print("| tools/list, every page, later in the session (cached) | %s | %s | %s |" % summary(later_all))
print(f"| tools/call file_read /etc/hostname ({len(reads)} calls) | %s | %s | %s |" % summary(reads))
for h in homes:
    shutil.rmtree(h, ignore_errors=True)
print(f"\nfirst page: {sizes / 1024:.0f} KiB of JSON; sessions: {len(first_list)}; load average: {os.getloadavg()[0]:.1f}")
