#!/usr/bin/env python3
"""Sorts the rows of docs/regulation-map.md by requirement id (R2.1 < R4.5 < R10.1), keeping each row."""
import re, sys
path = sys.argv[1] if len(sys.argv) > 1 else "docs/regulation-map.md"
lines = open(path, encoding="utf-8").read().split("\n")
head = [i for i, l in enumerate(lines) if l.startswith("|---")][0]
rows = [l for l in lines[head + 1:] if l.startswith("| R")]
rest = [l for l in lines[head + 1:] if not l.startswith("| R") and l.strip()]
def key(row):
    m = re.match(r"\| R(\d+)\.(\d+)", row)
    return (int(m.group(1)), int(m.group(2))) if m else (999, 0)
out = lines[:head + 1] + sorted(rows, key=key) + ([""] + rest if rest else []) + [""]
open(path, "w", encoding="utf-8").write("\n".join(out))
