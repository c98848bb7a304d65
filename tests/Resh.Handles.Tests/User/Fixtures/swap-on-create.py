#!/usr/bin/env python3
# Test helper (runs as the unprivileged owner of a home directory): waits for an entry whose name contains
# SUBSTRING to be created in DIR (inotify IN_CREATE), then renames it away and plants a symlink to TARGET under
# the same name, once, as fast as it can: the race an attacker runs against root editing their files.
# usage: swap-on-create.py DIR SUBSTRING TARGET   prints "ready" once watching, "swapped NAME" when done
import ctypes, os, struct, sys

d, sub, target = sys.argv[1:4]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
if fd < 0 or libc.inotify_add_watch(fd, d.encode(), 0x100) < 0:  # IN_CREATE
    sys.exit("inotify failed")
print("ready", flush=True)
while True:
    buf = os.read(fd, 8192)
    i = 0
    while i < len(buf):
        _, _, _, ln = struct.unpack_from("iIII", buf, i)
        name = buf[i + 16:i + 16 + ln].rstrip(b"\0").decode()
        i += 16 + ln
        if sub in name:
            path = os.path.join(d, name)
            try:
                os.rename(path, os.path.join(d, "moved-" + name))
            except OSError:
                pass
            try:
                os.symlink(target, path)
            except OSError:
                pass
            print("swapped", name, flush=True)
            sys.exit(0)
