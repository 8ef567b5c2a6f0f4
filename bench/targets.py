"""The targets of issue 6, checked on the rows bench/run.py measured. A target whose rows are missing or
failed reads 'n/a'; nothing here changes the exit code (the figures are for people)."""

from __future__ import annotations

from dataclasses import dataclass

COCO_TIME_VS_FLOOR = 1.5  # insight scan <= 1.5x the msgspec + numpy floor
COCO_SPEEDUP_VS_PYCOCO = 5.0  # >= 5x faster than pycocotools + pandas
COCO_RSS_VS_FLOOR = 1.5  # peak RSS <= 1.5x the floor's
YOLO_TIME_VS_FLOOR = 2.5  # <= 2.5x the raw label-read floor
MASKS_THROUGHPUT = 0.85  # >= 85 % of the pool floor's masks per second
MASKS_RSS_GROWTH = 1.2  # 10x the masks: peak RSS <= 1.2x
PDF_MAX_MB = 5.0
SCALING_MAX = 12.0  # 1.0 scale <= 12x the 0.1 scale
CLUSTER_VS_LOCAL = 1.3  # issue 16: the duplicate check on a LocalCluster <= 1.3x the local pool, same workers


@dataclass
class Check:
    target: str
    measured: str
    ok: bool | None  # None: could not be measured


def evaluate(rows: dict) -> list[Check]:
    return [
        _ratio(rows, "COCO scan time <= 1.5x the msgspec floor", "coco_scan", "coco_floor", "wall",
               COCO_TIME_VS_FLOOR),
        _speedup(rows),
        _ratio(rows, "COCO scan peak RSS <= 1.5x the floor's", "coco_scan", "coco_floor", "rss_mb",
               COCO_RSS_VS_FLOOR),
        _ratio(rows, "YOLO scan time <= 2.5x the label-read floor", "yolo_scan", "yolo_floor", "wall",
               YOLO_TIME_VS_FLOOR),
        _throughput(rows),
        _ratio(rows, "masks: peak RSS at 10x the masks <= 1.2x", "masks_scan", "masks_scan_small", "rss_mb",
               MASKS_RSS_GROWTH),
        _render(rows),
        _pdf(rows),
        _ratio(rows, "scan time grows linearly: 1.0 scale <= 12x the 0.1 scale", "coco_scan", "scale_0.1", "wall",
               SCALING_MAX),
        _startup(rows),
        _ratio(rows, "duplicate check on a LocalCluster <= 1.3x the local pool (same worker count)", "dup_cluster",
               "dup_local", "wall", CLUSTER_VS_LOCAL),
    ]


def _missing(rows: dict, *keys: str) -> str | None:
    for k in keys:
        if k not in rows:
            return f"n/a: {k} not run"
        if rows[k].error:
            return f"n/a: {k} failed"
    return None


def _ratio(rows, target, key, ref, attr, limit) -> Check:
    why = _missing(rows, key, ref)
    if why:
        return Check(target, why, None)
    a, b = getattr(rows[key], attr), getattr(rows[ref], attr)
    if not a or not b:
        return Check(target, "n/a: not measured", None)
    return Check(target, f"{a / b:.2f}x ({a:.2f} / {b:.2f})", a / b <= limit)


def _speedup(rows) -> Check:
    target = "COCO scan >= 5x faster than pycocotools + pandas"
    why = _missing(rows, "coco_scan", "coco_pycoco")
    if why:
        return Check(target, why, None)
    s = rows["coco_pycoco"].wall / rows["coco_scan"].wall
    return Check(target, f"{s:.2f}x faster", s >= COCO_SPEEDUP_VS_PYCOCO)


def _throughput(rows) -> Check:
    target = "masks scan >= 85 % of the pool floor's throughput"
    why = _missing(rows, "masks_scan", "masks_floor")
    if why:
        return Check(target, why, None)
    share = rows["masks_floor"].wall / rows["masks_scan"].wall
    return Check(target, f"{share * 100:.0f} %", share >= MASKS_THROUGHPUT)


def _render(rows) -> Check:
    target = "report rendering (report - scan) takes less than the scan"
    why = _missing(rows, "report", "coco_scan")
    if why:
        return Check(target, why, None)
    scan, render = rows["coco_scan"].wall, rows["report"].wall - rows["coco_scan"].wall
    return Check(target, f"render {render:.2f} s vs scan {scan:.2f} s", render < scan)


def _pdf(rows) -> Check:
    target = "report.pdf under 5 MB"
    why = _missing(rows, "report")
    mb = None if why else rows["report"].extra.get("pdf_mb")
    if mb is None:
        return Check(target, why or "n/a: no report.pdf written", None)
    return Check(target, f"{mb:.2f} MB", mb < PDF_MAX_MB)


def _startup(rows) -> Check:
    target = "insight --help imports neither weasyprint nor matplotlib"
    why = _missing(rows, "help")
    if why:
        return Check(target, why, None)
    heavy = rows["help"].extra.get("heavy_modules")
    if heavy is None:
        return Check(target, f"{rows['help'].wall:.2f} s (imports not checked)", None)
    return Check(target, f"{rows['help'].wall:.2f} s; heavy imports: {', '.join(heavy) or 'none'}", not heavy)


def lines(checks: list[Check]) -> list[str]:
    out = ["| target | measured | result |", "|---|---|---|"]
    for c in checks:
        out.append(f"| {c.target} | {c.measured} | {'n/a' if c.ok is None else 'pass' if c.ok else 'FAIL'} |")
    return out
