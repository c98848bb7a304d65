#!/usr/bin/env python3
"""A plugin that misbehaves on purpose, one way per verb."""
import json
import os
import subprocess
import sys
import time

request = json.load(sys.stdin)
verb = request["verb"]
args = request.get("args", {})
if verb == "garbage":
    print("this is not json {")
elif verb == "crash":
    sys.stderr.write("about to crash\n")
    sys.stderr.flush()
    os.kill(os.getpid(), 11)
elif verb == "exit":
    sys.stderr.write("giving up with 3\n")
    sys.exit(3)
elif verb == "hang":
    child = subprocess.Popen(["sleep", "300"])
    with open(args["pidfile"], "w") as f:
        f.write(f"{os.getpid()} {child.pid}\n")
    time.sleep(300)
elif verb == "flood":
    chunk = "x" * 65536
    while True:
        sys.stdout.write(chunk)
elif verb == "weird":
    print(json.dumps({"ok": False, "error": {"code": "exploded", "message": "Boom.\nsecond line"}}))
elif verb == "okexit":
    print(json.dumps({"ok": True, "result": {}}))
    sys.exit(4)
elif verb == "badresult":
    print(json.dumps({"ok": True, "result": {"count": "three"}, "extra": 1}))
