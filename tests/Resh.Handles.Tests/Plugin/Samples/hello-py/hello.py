#!/usr/bin/env python3
"""Sample plugin (Python): typed arguments come back as the plugin received them; touch writes a file."""
import json
import os
import sys

request = json.load(sys.stdin)
verb = request["verb"]
args = request.get("args", {})
if verb == "echo":
    answer = {"ok": True, "result": {"request": request}}
elif verb == "touch":
    path = request["target"]
    exists = os.path.exists(path)
    if not exists and not request.get("dry_run"):
        with open(path, "w") as f:
            f.write(args.get("content", ""))
    answer = {"ok": True, "changed": not exists, "result": {"path": path, "created": not exists}, "warnings": ["touched"] if not exists else []}
elif verb == "fail":
    answer = {"ok": False, "error": {"code": args.get("code", "conflict"), "message": "It failed on purpose.", "hint": "Do not ask it to fail.", "details": {"why": "asked"}}}
else:
    answer = {"ok": False, "error": {"code": "usage", "message": "Unknown verb."}}
print(json.dumps(answer))
