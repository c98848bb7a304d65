#!/usr/bin/env bash
# Sample plugin (bash): greet parses its request with python3; uname answers without reading it.
set -euo pipefail
request=$(cat)
{ read -r verb; read -r target; read -r name; } < <(printf '%s' "$request" | python3 -c '
import json, sys
r = json.load(sys.stdin); a = r.get("args") or {}
for v in (r.get("verb"), r.get("target"), a.get("name", "")): print(str(v).replace("\n", " "))')
case "$verb" in
  greet) python3 -c 'import json, sys; print(json.dumps({"ok": True, "result": {"message": "hello " + sys.argv[1] + " from " + sys.argv[2]}}))' "$name" "$target" ;;
  env) python3 -c 'import json, os; print(json.dumps({"ok": True, "result": {"env": dict(os.environ), "cwd": os.getcwd()}}))' ;;
  *) printf '%s\n' '{"ok":false,"error":{"code":"not_found","message":"No such verb.","hint":"greet or env"}}' ;;
esac
