"""The targets (issues 6 and 15), checked on what bench/run.py measured. A ratio of two commands is the
median of the ratios taken within each round (the commands ran in turn), shown with its min and max.
A target whose rows are missing or failed reads 'n/a'; nothing here changes the exit code."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

COCO_WALL_VS_FLOOR = 1.3  # insight scan <= 1.3x the msgspec + numpy floor, wall time
COCO_CPU_VS_FLOOR = 1.6  # ... and <= 1.6x in CPU time
COCO_SPEEDUP_VS_PYCOCO = 5.0  # >= 5x faster than pycocotools + pandas
COCO_MEM_VS_FLOOR = 1.5  # peak memory (summed PSS of the process tree) <= 1.5x the floor's
YOLO_WALL_VS_FLOOR = 2.0  # <= 2.0x the raw label-read floor
VOC_WALL_VS_FLOOR = 1.5  # <= 1.5x the ElementTree parse floor
MASKS_THROUGHPUT = 0.85  # >= 85 % of the pool floor's masks per second
MASKS_MEM_GROWTH = 1.2  # 10x the masks: peak memory <= 1.2x
RENDER_VS_SCAN = 0.5  # report - scan <= 0.5x the scan
PDF_MAX_MB = 5.0
DUP_THROUGHPUT = 0.85  # duplicate check >= 85 % of the draft-decode pool floor's images per second
SCALING_MAX = 12.0  # 1.0 scale <= 12x the 0.1 scale
CLUSTER_VS_LOCAL = 1.3  # issue 16: the duplicate check on a LocalCluster <= 1.3x the local pool, same workers
HEAVY_FOR_HELP = ("weasyprint", "matplotlib")
# What `insight scan` of a COCO annotation file never needs: drawing, PDF, the HTML report, and the
# readers' libraries of other formats (YAML, XML). The scan words its findings with Jinja templates
# (docs/architecture.md, rule 6: one template per code), so jinja2 is used and not listed.
UNUSED_BY_SCAN = ("weasyprint", "matplotlib", "yaml", "defusedxml", "PIL", "tensorboard", "pycocotools")


PLANTED_CODES = {"within_split": "duplicate_within_split"}  # bench/photos.py's kinds that are not finding codes


@dataclass
class Check:
    target: str
    measured: str
    ok: bool | None  # None: could not be measured


def evaluate(rows: dict) -> list[Check]:
    return [
        _pair(rows, f"COCO scan wall time <= {COCO_WALL_VS_FLOOR}x the msgspec floor", "coco_scan", "coco_floor",
              "wall", COCO_WALL_VS_FLOOR),
        _pair(rows, f"COCO scan CPU time <= {COCO_CPU_VS_FLOOR}x the msgspec floor's", "coco_scan", "coco_floor",
              "cpu", COCO_CPU_VS_FLOOR),
        _speedup(rows),
        _peak(rows, f"COCO scan peak memory <= {COCO_MEM_VS_FLOOR}x the floor's", "coco_scan", "coco_floor",
              COCO_MEM_VS_FLOOR),
        _pair(rows, f"YOLO scan wall time <= {YOLO_WALL_VS_FLOOR}x the label-read floor", "yolo_scan", "yolo_floor",
              "wall", YOLO_WALL_VS_FLOOR),
        _pair(rows, f"VOC scan wall time <= {VOC_WALL_VS_FLOOR}x the ElementTree parse floor", "voc_scan",
              "voc_floor", "wall", VOC_WALL_VS_FLOOR),
        _throughput(rows, "masks scan >= 85 % of the pool floor's throughput", "masks_scan", "masks_floor",
                    MASKS_THROUGHPUT),
        _peak(rows, f"masks: peak memory at 10x the masks <= {MASKS_MEM_GROWTH}x", "masks_scan", "masks_scan_small",
              MASKS_MEM_GROWTH),
        _render(rows),
        _pdf(rows),
        _throughput(rows, "duplicate check >= 85 % of the draft-decode pool floor's throughput", "photos_dup",
                    "photos_floor", DUP_THROUGHPUT),
        _copies(rows),
        _scaling(rows),
        _imports(rows, "help", "heavy_modules", "insight --help imports neither weasyprint nor matplotlib"),
        _imports(rows, "help", "scan_modules", "insight scan (COCO) imports none of " + ", ".join(UNUSED_BY_SCAN)),
        _pair(rows, f"duplicate check on a LocalCluster <= {CLUSTER_VS_LOCAL}x the local pool (same worker count)",
              "dup_cluster", "dup_local", "wall", CLUSTER_VS_LOCAL),
    ]


def spread(values: list[float], fmt: str = "{:.2f}x") -> str:
    """'median (min-max)' of the per-round values."""
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values)).rstrip('x%').rstrip()}-{fmt.format(max(values))})"


def ratios(rows, key: str, ref: str, attr: str) -> list[float]:
    a, b = rows[key].samples, rows[ref].samples
    return [getattr(x, attr) / getattr(y, attr) for x, y in zip(a, b) if getattr(x, attr) and getattr(y, attr)]


def _missing(rows: dict, *keys: str) -> str | None:
    for k in keys:
        if k not in rows:
            return f"n/a: {k} not run"
        if rows[k].error:
            return f"n/a: {k} failed"
        if not rows[k].samples:
            return f"n/a: {k} not measured"
    return None


def _pair(rows, target, key, ref, attr, limit) -> Check:
    why = _missing(rows, key, ref)
    r = [] if why else ratios(rows, key, ref, attr)
    if not r:
        return Check(target, why or "n/a: not measured", None)
    return Check(target, spread(r), statistics.median(r) <= limit)


def _peak(rows, target, key, ref, limit) -> Check:
    why = _missing(rows, key, ref)
    a, b = (None, None) if why else (rows[key].peak("mem_mb"), rows[ref].peak("mem_mb"))
    if not a or not b:
        return Check(target, why or "n/a: memory not measured", None)
    return Check(target, f"{a / b:.2f}x ({a:,.0f} / {b:,.0f} MB)", a / b <= limit)


def _throughput(rows, target, key, ref, limit) -> Check:
    why = _missing(rows, key, ref)
    r = [] if why else [1 / x for x in ratios(rows, key, ref, "wall")]
    if not r:
        return Check(target, why or "n/a: not measured", None)
    return Check(target, spread([x * 100 for x in r], "{:.0f} %"), statistics.median(r) >= limit)


def _speedup(rows) -> Check:
    target = f"COCO scan >= {COCO_SPEEDUP_VS_PYCOCO:g}x faster than pycocotools + pandas"
    why = _missing(rows, "coco_scan", "coco_pycoco")
    if why:
        return Check(target, why, None)
    s = rows["coco_pycoco"].median("wall") / rows["coco_scan"].median("wall")
    return Check(target, f"{s:.2f}x faster (medians)", s >= COCO_SPEEDUP_VS_PYCOCO)


def _render(rows) -> Check:
    target = f"report rendering (report - scan) <= {RENDER_VS_SCAN}x the scan"
    why = _missing(rows, "report", "coco_scan")
    r = [] if why else [x - 1 for x in ratios(rows, "report", "coco_scan", "wall")]
    if not r:
        return Check(target, why or "n/a: not measured", None)
    return Check(target, spread(r), statistics.median(r) <= RENDER_VS_SCAN)


def _pdf(rows) -> Check:
    target = f"report.pdf under {PDF_MAX_MB:g} MB"
    why = _missing(rows, "report")
    mb = None if why else rows["report"].extra.get("pdf_mb")
    if mb is None:
        return Check(target, why or "n/a: no report.pdf written", None)
    return Check(target, f"{mb:.2f} MB", mb < PDF_MAX_MB)


def _copies(rows) -> Check:
    """insight's counts equal the planted copies, and bench/stages.py found no planted copy missed."""
    target = "every planted copy found (exact within train, exact and near leakage)"
    why = _missing(rows, "photos_dup")
    planted = None if why else rows["photos_dup"].extra.get("planted")
    if planted is None:
        return Check(target, why or "n/a: no list of planted copies", None)
    counts = finding_counts(rows["photos_dup"].stdout)
    found = {k: counts.get(PLANTED_CODES.get(k, k), 0) for k in planted}
    ok = all(found[k] >= planted[k] for k in planted)
    text = ", ".join(f"{k} {found[k]}/{planted[k]}" for k in planted)
    floor = _floor_counts(rows)
    if floor is not None:  # more than planted is fine only where the floor, computed apart, finds as many
        ok = ok and all(found[k] == floor.get(k) for k in planted)
        extra = {k: found[k] - planted[k] for k in planted if found[k] != planted[k]}
        text += "; the floor's counts " + ("agree" if all(found[k] == floor.get(k) for k in planted)
                                            else f"differ: {floor}")
        if extra:
            text += f" (pairs beyond the planted ones, chance look-alikes: {extra})"
    stages = rows.get("photos_stages")
    if stages is not None and stages.samples:
        try:
            missed = json.loads(stages.stdout.strip().splitlines()[-1])["copies"]["missed"]
        except (ValueError, IndexError, KeyError):
            missed = ["(stages output unreadable)"]
        text += f"; per file: {len(missed)} missed" + (f" (e.g. {missed[0]})" if missed else "")
        ok = ok and not missed
    return Check(target, text, ok)


def _floor_counts(rows) -> dict | None:
    floor = rows.get("photos_floor")
    if floor is None or floor.error or not floor.samples:
        return None
    try:
        return json.loads(floor.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def finding_counts(stdout: str) -> dict[str, int]:
    try:
        doc = json.loads(stdout)
    except ValueError:
        return {}
    return {f["code"]: int(f.get("count") or 0) for f in doc.get("health", []) if isinstance(f, dict)}


def _scaling(rows) -> Check:
    target = f"scan time grows linearly: 1.0 scale <= {SCALING_MAX:g}x the 0.1 scale"
    why = _missing(rows, "coco_scan", "scale_0.1")
    if why:
        return Check(target, why, None)
    a, b = rows["coco_scan"].median("wall"), rows["scale_0.1"].median("wall")
    return Check(target, f"{a / b:.2f}x ({a:.2f} / {b:.2f} s, medians)", a / b <= SCALING_MAX)


def _imports(rows, key: str, extra: str, target: str) -> Check:
    why = _missing(rows, key)
    if why:
        return Check(target, why, None)
    found = rows[key].extra.get(extra)
    if found is None:
        return Check(target, "n/a: imports not checked", None)
    return Check(target, "imported: " + (", ".join(found) or "none"), not found)


def lines(checks: list[Check]) -> list[str]:
    out = ["| target | measured: median of the rounds (min-max) | result |", "|---|---|---|"]
    for c in checks:
        out.append(f"| {c.target} | {c.measured} | {'n/a' if c.ok is None else 'pass' if c.ok else 'FAIL'} |")
    return out
