#!/usr/bin/env python3
"""Drives a program through a real pseudo-terminal, as expect does, for the interactive shell tests.

    pty_drive.py PROGRAM [ARG...] < steps.json

steps.json: {"steps": [{"send": "text", "expect": "regex", "timeout": 5}, ...], "cols": 200}
Each step writes `send` (if any) to the terminal and waits until `expect` matches the output produced since the
step began, with ANSI escapes removed (or the timeout passes). Prints one JSON object: each step's output, whether
it matched, the time from the send to the match, and the program's exit status. The child is killed by PID at the end.
"""
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\r")

def main():
    spec = json.load(sys.stdin)
    argv = sys.argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, spec.get("cols", 200), 0, 0))
    results, transcript = [], b""
    for step in spec["steps"]:
        if "send" in step:
            os.write(fd, step["send"].encode())
        sent = time.monotonic()
        got = b""
        pattern = re.compile(step["expect"], re.S) if "expect" in step else None
        deadline = sent + step.get("timeout", 5)
        matched = pattern is None
        elapsed = None
        while True:
            if pattern is not None and pattern.search(ANSI.sub("", got.decode("utf-8", "replace"))):
                matched, elapsed = True, (time.monotonic() - sent) * 1000
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([fd], [], [], min(left, 0.05 if pattern is None else left))
            if not r:
                if pattern is None:
                    break
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        transcript += got
        results.append({"matched": matched, "ms": elapsed, "output": ANSI.sub("", got.decode("utf-8", "replace")), "raw": got.decode("utf-8", "replace")})
    status = None
    end = time.monotonic() + spec.get("exit_timeout", 3)
    while time.monotonic() < end:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
        try:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                transcript += os.read(fd, 65536)
        except OSError:
            pass
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    print(json.dumps({"steps": results, "exit": status, "transcript": ANSI.sub("", transcript.decode("utf-8", "replace"))}))

main()
