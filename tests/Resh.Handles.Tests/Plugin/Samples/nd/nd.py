#!/usr/bin/env python3
"""Sample ndjson plugin: one process answers many requests (a request per line, an answer per line); misbehaves on request."""
import json
import os
import subprocess
import sys
import time

count = 0
for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    count += 1
    verb = request["verb"]
    args = request.get("args", {})
    rid = request.get("id")
    sys.stderr.write(f"request {rid}: {verb}\n")
    sys.stderr.flush()
    if verb == "whoami":
        answer = {"ok": True, "result": {"pid": os.getpid(), "count": count, "mode": os.environ.get("RESH_PLUGIN_MODE")}}
    elif verb == "crash":
        sys.stderr.write("crashing now\n")
        sys.stderr.flush()
        os._exit(7)
    elif verb == "hang":
        time.sleep(300)
        continue
    elif verb == "wrongid":
        rid = -5
        answer = {"ok": True, "result": {}}
    elif verb == "garbage":
        sys.stdout.write("this is not json {\n")
        sys.stdout.flush()
        continue
    elif verb == "spawn":
        child = subprocess.Popen(["sleep", "300"])
        with open(args["pidfile"], "w") as f:
            f.write(f"{os.getpid()} {child.pid}\n")
        answer = {"ok": True, "result": {"pid": os.getpid(), "child": child.pid}}
    elif verb == "fail":
        answer = {"ok": False, "error": {"code": "conflict", "message": "It failed on purpose."}}
    else:
        answer = {"ok": False, "error": {"code": "usage", "message": "Unknown verb."}}
    answer["id"] = rid
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
