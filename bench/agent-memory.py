#!/usr/bin/python3
"""Where an idle process's memory is: /proc/PID/smaps grouped into the binary's file-backed pages, its zero-filled
data segment (.bss: the rehydrated NativeAOT type data), the GC's reservation, thread stacks, malloc arenas and the
rest, with RSS, PSS and USS (private) per group. usage: agent-memory.py PID [BINARY]   (prints a markdown table)"""
import os, sys

def mappings(pid):
    maps, cur = [], None
    for line in open(f"/proc/{pid}/smaps"):
        parts = line.split()
        if "-" in parts[0] and not parts[0].endswith(":"):
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            cur = {"lo": lo, "hi": hi, "perm": parts[1], "path": parts[5] if len(parts) > 5 else "", "kb": {}}
            maps.append(cur)
        elif parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
            cur["kb"][parts[0][:-1]] = int(parts[1])
    return maps

def classify(maps, binary):
    names = [""] * len(maps)
    # The GC's reservation: the largest inaccessible anonymous mapping and every mapping touching it on either side.
    big = max((i for i, m in enumerate(maps) if m["perm"].startswith("---") and not m["path"]),
              key=lambda i: maps[i]["hi"] - maps[i]["lo"], default=None)
    if big is not None and maps[big]["hi"] - maps[big]["lo"] > 1 << 30:
        i = big
        while i > 0 and maps[i - 1]["hi"] == maps[i]["lo"] and not maps[i - 1]["path"]: i -= 1
        j = big
        while j + 1 < len(maps) and maps[j + 1]["lo"] == maps[j]["hi"] and not maps[j + 1]["path"]: j += 1
        for k in range(i, j + 1): names[k] = "GC heap (reservation, committed regions)"
    for k, m in enumerate(maps):
        if names[k]: continue
        size = m["hi"] - m["lo"]
        if m["path"] and binary and os.path.realpath(m["path"]) == binary:
            names[k] = "binary, file-backed (code, read-only data)" if m["kb"].get("Anonymous", 0) < m["kb"].get("Rss", 0) // 2 or "w" not in m["perm"] \
                else "binary, written data (relocations, statics)"
        elif m["path"] and binary and k > 0 and False: pass
        elif not m["path"] and k > 0 and maps[k - 1]["path"] and binary and os.path.realpath(maps[k - 1]["path"]) == binary and maps[k - 1]["hi"] == m["lo"]:
            names[k] = "binary .bss: rehydrated type data (THP)"
        elif m["path"] == "[stack]":
            names[k] = "thread stacks (main + guard pages)"
        elif m["path"] == "[heap]":
            names[k] = "malloc heap (brk)"
        elif m["path"].startswith("/") :
            names[k] = "shared libraries, file-backed" if m["kb"].get("Anonymous", 0) == 0 else "shared libraries, written data"
        elif m["path"].startswith("["):
            names[k] = "vdso/vvar"
        elif "w" in m["perm"] and k > 0 and maps[k - 1]["perm"].startswith("---") and maps[k - 1]["hi"] == m["lo"] and maps[k - 1]["hi"] - maps[k - 1]["lo"] <= 64 << 10:
            names[k] = "thread stacks (main + guard pages)"
        elif m["perm"].startswith("---") and k + 1 < len(maps) and maps[k + 1]["lo"] == m["hi"] and size <= 64 << 10:
            names[k] = "thread stacks (main + guard pages)"
        elif (size + (maps[k + 1]["hi"] - maps[k + 1]["lo"] if k + 1 < len(maps) and maps[k + 1]["perm"].startswith("---") and maps[k + 1]["lo"] == m["hi"] else 0)) == 64 << 20 \
                or (m["perm"].startswith("---") and k > 0 and maps[k - 1]["hi"] == m["lo"] and names[k - 1] == "malloc arenas (per-thread)"):
            names[k] = "malloc arenas (per-thread)"
        else:
            names[k] = "other anonymous"
    return names

def main():
    pid = sys.argv[1]
    binary = os.path.realpath(sys.argv[2]) if len(sys.argv) > 2 else os.path.realpath(f"/proc/{pid}/exe")
    maps = mappings(pid)
    names = classify(maps, binary)
    groups = {}
    for m, n in zip(maps, names):
        g = groups.setdefault(n, {"Rss": 0, "Pss": 0, "USS": 0, "Anonymous": 0, "AnonHugePages": 0, "n": 0})
        g["Rss"] += m["kb"].get("Rss", 0); g["Pss"] += m["kb"].get("Pss", 0)
        g["USS"] += m["kb"].get("Private_Clean", 0) + m["kb"].get("Private_Dirty", 0)
        g["Anonymous"] += m["kb"].get("Anonymous", 0); g["AnonHugePages"] += m["kb"].get("AnonHugePages", 0); g["n"] += 1
    print("| region | mappings | RSS KiB | PSS KiB | USS KiB | anon KiB | of which THP KiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    tot = {"Rss": 0, "Pss": 0, "USS": 0, "Anonymous": 0, "AnonHugePages": 0, "n": 0}
    for n, g in sorted(groups.items(), key=lambda kv: -kv[1]["Rss"]):
        if g["Rss"] == 0: continue
        print(f"| {n} | {g['n']} | {g['Rss']:,} | {g['Pss']:,} | {g['USS']:,} | {g['Anonymous']:,} | {g['AnonHugePages']:,} |")
        for k in tot: tot[k] += g[k]
    print(f"| **total** | {tot['n']} | **{tot['Rss']:,}** | **{tot['Pss']:,}** | **{tot['USS']:,}** | {tot['Anonymous']:,} | {tot['AnonHugePages']:,} |")
    threads = len(os.listdir(f"/proc/{pid}/task"))
    print(f"\nthreads: {threads}; " + "; ".join(l.strip() for l in open(f"/proc/{pid}/smaps_rollup") if l.split(":")[0] in ("Rss", "Pss", "Pss_Anon", "Pss_File", "Anonymous", "AnonHugePages", "Private_Dirty", "Shared_Clean")))
    if os.environ.get("VERBOSE"):
        for m, n in zip(maps, names):
            if m["kb"].get("Rss", 0) >= 256:
                print(f"{m['lo']:x}-{m['hi']:x} {m['perm']} {(m['hi']-m['lo'])>>10:>10} KiB rss {m['kb'].get('Rss',0):>6} thp {m['kb'].get('AnonHugePages',0):>6} {n} {m['path']}", file=sys.stderr)

main()
