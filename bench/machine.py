"""What the results were measured on: cores, memory, CPU, Python, insight's commit; and the data's size."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path


def _meminfo_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str:
    try:
        repo = Path(__file__).resolve().parent.parent
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe(memory: str) -> list[str]:
    how = {"PSS": "peak of the summed PSS (/proc/PID/smaps_rollup) of the process and its descendants, sampled "
                  "every 20 ms or 20 times what a sample costs, whichever is longer",
           "RSS": "peak of the summed RSS (/proc/PID/status; no smaps_rollup here: shared pages count once "
                  "per process)"}.get(memory, "not measured (no /proc)")
    return [f"- {time.strftime('%Y-%m-%d %H:%M %Z')}; insight commit {_commit()}",
            f"- machine: {os.cpu_count()} cores ({_cpu()}), {_meminfo_gb()} memory; "
            f"Python {sys.version.split()[0]} on {platform.system()} {platform.release()}",
            "- wall time: perf_counter around each process; CPU time: user + system of the process and the "
            f"descendants it waited for (os.wait4); memory: {how}"]


def data_summary(root: Path) -> list[str]:
    out = []
    try:
        coco = json.loads((root / "coco" / ".done.json").read_text())["summary"]
        size = sum(f.stat().st_size for f in (root / "coco" / "annotations").glob("*.json")) / 1e6
        out.append("- COCO: " + ", ".join(f"{s} {v['images']:,} images / {v['boxes']:,} boxes ({v['crowd']:,} crowd)"
                                          for s, v in coco.items()) + f"; JSON {size:,.0f} MB with polygons")
    except (OSError, ValueError, KeyError):
        pass
    try:
        photos = json.loads((root / "photos" / ".done.json").read_text())["summary"]
        out.append(f"- photos: {sum(photos['images'].values()):,} JPEGs of {photos['width']} x {photos['height']} "
                   f"({', '.join(f'{s} {n:,}' for s, n in photos['images'].items())}); planted copies: "
                   + ", ".join(f"{k} {v}" for k, v in photos["planted"].items()))
    except (OSError, ValueError, KeyError):
        pass
    for part, key in (("voc", "images"), ("masks", "masks")):
        try:
            n = json.loads((root / part / ".done.json").read_text())["summary"][key]
            out.append(f"- {part}: {n:,} {key}")
        except (OSError, ValueError, KeyError):
            pass
    out.append(f"- data: {root}")
    return out
