#!/usr/bin/env python3
"""Sample plugin with a secret-typed argument: says where the secret arrived, echoes it, or leaks it in an error."""
import json
import os
import sys

request = json.load(sys.stdin)
token = request.get("args", {}).get("token") or ""
with open("/proc/self/cmdline", "rb") as f:
    cmdline = f.read().decode(errors="replace")
seen = {"length": len(token), "echo": token, "in_env": any(token in v for v in os.environ.values()) if token else False,
        "in_argv": token in cmdline if token else False}
if request["verb"] == "echo":
    print(json.dumps({"ok": True, "result": seen, "warnings": [f"got {token}"]}))
else:
    sys.stderr.write(f"stderr has {token}\n")
    print(json.dumps({"ok": False, "error": {"code": "permission_denied", "message": f"The token {token} was refused.", "details": {"token": token}}}))
