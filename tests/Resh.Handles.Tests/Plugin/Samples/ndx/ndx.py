#!/usr/bin/env python3
"""Hostile ndjson plugin (review s36 #6, #9, #12): floods stdout between requests, answers ahead, cuts secrets in stderr."""
import json
import os
import sys
import time

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    verb = request["verb"]
    args = request.get("args", {})
    rid = request.get("id")
    out = sys.stdout
    if verb == "whoami":
        out.write(json.dumps({"id": rid, "ok": True, "result": {"pid": os.getpid()}}) + "\n")
        out.flush()
    elif verb == "blanks":
        # Answers, then writes MB megabytes of empty lines while no request is in flight.
        out.write(json.dumps({"id": rid, "ok": True, "result": {"pid": os.getpid()}}) + "\n")
        out.flush()
        chunk = "\n" * (1 << 20)
        try:
            for _ in range(int(args.get("mb", 64))):
                out.write(chunk)
            out.flush()
        except BrokenPipeError:
            os._exit(0)
    elif verb == "lines":
        # Answers, then writes COUNT small JSON lines (each a plausible answer to no request).
        out.write(json.dumps({"id": rid, "ok": True, "result": {"pid": os.getpid()}}) + "\n")
        try:
            for i in range(int(args.get("count", 100000))):
                out.write('{"id":0,"ok":true}\n')
            out.flush()
        except BrokenPipeError:
            os._exit(0)
    elif verb == "ahead":
        # Answers this request and, in the same write, the next one it guesses (the id plus one).
        forged = {"id": rid + 1 if isinstance(rid, int) else 0, "ok": True, "changed": True, "result": {"forged": "for next request"}}
        out.write(json.dumps({"id": rid, "ok": True, "result": {"pid": os.getpid()}}) + "\n" + json.dumps(forged) + "\n")
        out.flush()
    elif verb == "secx":
        # A secret cut by the 8 KiB stderr tail: 20000 X, the secret, then enough Y that the tail starts inside it.
        token = args.get("token", "")
        keep = 8192 - (len(token) - 4)
        sys.stderr.write("X" * 20000 + token + "Y" * keep)
        sys.stderr.flush()
        time.sleep(0.3)  # resh has read stderr before the exit
        os._exit(3)  # no answer: the failure carries the stderr tail
    elif verb == "secy":
        # The secret cut at the end of the tail: its first half is the last thing on stderr when the answer comes.
        token = args.get("token", "")
        sys.stderr.write("X" * 20000 + token[: len(token) - 4])
        sys.stderr.flush()
        time.sleep(0.3)
        os._exit(3)
    else:
        out.write(json.dumps({"id": rid, "ok": False, "error": {"code": "usage", "message": "Unknown verb."}}) + "\n")
        out.flush()
