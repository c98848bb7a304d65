#!/usr/bin/env python3
"""Drives a program through a real pseudo-terminal, as expect does, for the interactive shell tests.

    pty_drive.py PROGRAM [ARG...] < steps.json

steps.json: {"steps": [{"send": "text", "expect": "regex", "timeout": 5, "screen": true}, ...], "cols": 200, "rows": 50}
Each step writes `send` (if any) to the terminal and waits until `expect` matches the output produced since the
step began, with ANSI escapes removed (or the timeout passes). Prints one JSON object: each step's output, whether
it matched, the time from the send to the match, and the program's exit status. The child is killed by PID at the end.
A step with "screen" also reports the terminal's screen after it: every byte so far through a small VT100 model
(autowrap with xterm's pending wrap, CR/LF/BS, cursor moves, erase in line/display; colours ignored), as rows
of text (trailing spaces removed) and the cursor's row and column.
"""
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\r")

class Screen:
    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.r = self.c = 0
        self.pending = False  # the cursor is past the last column: the next character wraps first

    def scroll(self):
        self.cells.pop(0)
        self.cells.append([" "] * self.cols)

    def newline(self):
        if self.r == self.rows - 1: self.scroll()
        else: self.r += 1

    def put(self, ch):
        if self.pending:
            self.pending = False
            self.c = 0
            self.newline()
        self.cells[self.r][self.c] = ch
        if self.c == self.cols - 1: self.pending = True
        else: self.c += 1

    def csi(self, params, final):
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        n = nums[0] if nums and nums[0] > 0 else 1
        self.pending = False
        if final == "A": self.r = max(0, self.r - n)
        elif final == "B": self.r = min(self.rows - 1, self.r + n)
        elif final == "C": self.c = min(self.cols - 1, self.c + n)
        elif final == "D": self.c = max(0, self.c - n)
        elif final == "G": self.c = min(self.cols - 1, n - 1)
        elif final in "Hf":
            self.r = min(self.rows - 1, (nums[0] if nums and nums[0] else 1) - 1)
            self.c = min(self.cols - 1, (nums[1] if len(nums) > 1 and nums[1] else 1) - 1)
        elif final == "K":
            mode = nums[0] if nums else 0
            lo, hi = {0: (self.c, self.cols), 1: (0, self.c + 1), 2: (0, self.cols)}.get(mode, (0, 0))
            for i in range(lo, hi): self.cells[self.r][i] = " "
        elif final == "J":
            mode = nums[0] if nums else 0
            if mode == 0:
                for i in range(self.c, self.cols): self.cells[self.r][i] = " "
                for row in range(self.r + 1, self.rows): self.cells[row] = [" "] * self.cols
            elif mode in (2, 3):
                self.cells = [[" "] * self.cols for _ in range(self.rows)]

    def feed(self, text):
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                m = re.match(r"\x1b\[([?]?)([0-9;]*)([@-~])", text[i:])
                if m:
                    if not m.group(1): self.csi(m.group(2), m.group(3))
                    i += m.end()
                    continue
                i += 2  # ESC and one more: not modelled
                continue
            if ch == "\r": self.c = 0; self.pending = False
            elif ch == "\n": self.pending = False; self.newline()
            elif ch == "\b": self.pending = False; self.c = max(0, self.c - 1)
            elif ch == "\t": self.c = min(self.cols - 1, (self.c // 8 + 1) * 8)
            elif ord(ch) >= 0x20: self.put(ch)
            i += 1

    def dump(self):
        return {"rows": ["".join(r).rstrip() for r in self.cells], "row": self.r, "col": self.c}


def main():
    spec = json.load(sys.stdin)
    argv = sys.argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    rows, cols = spec.get("rows", 50), spec.get("cols", 200)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
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
        result = {"matched": matched, "ms": elapsed, "output": ANSI.sub("", got.decode("utf-8", "replace")), "raw": got.decode("utf-8", "replace")}
        if step.get("screen"):
            screen = Screen(rows, cols)
            screen.feed(transcript.decode("utf-8", "replace"))
            result["screen"] = screen.dump()
        results.append(result)
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
