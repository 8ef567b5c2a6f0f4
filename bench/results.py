"""The results file of bench/run.py: what was measured on what, the table, the stages of the duplicate
check, and the targets."""

from __future__ import annotations

import json
import os
import statistics

import machine
import measure
import targets


def text(rows: list, checks: list, args, roots: dict, elapsed: float) -> str:
    loads = [s.load for r in rows for s in r.samples]
    cores = os.cpu_count() or 1
    busy = loads and max(loads) > 1.5 * cores
    head = [f"# insight benchmark: scale {args.scale:g}", "",
            *machine.describe(measure.memory_kind()),
            f"- scale {args.scale:g}, seed {args.seed}; compared commands run in turn (A B A B), "
            f"{args.runs} timed rounds after {args.warmup} untimed; whole benchmark took {elapsed / 60:.1f} min; "
            + ("page cache not warmed (--cold)" if args.cold else "every data file read once before timing"),
            (f"- 1-minute load average at the start of each run: median {statistics.median(loads):.1f}, "
             f"{min(loads):.1f}-{max(loads):.1f} (the benchmark's own runs count too; {cores} cores)"
             + ("; well above the core count: other work shared the machine and times are inflated" if busy else "")
             if loads else "- no run was timed"),
            *machine.data_summary(roots["1"]), ""]
    body = table(rows, args.runs) + [""] + stage_lines(rows)
    return "\n".join(head + body + ["## Targets (issues 6 and 15)", ""] + targets.lines(checks)) + "\n"


def table(rows: list, runs: int) -> list[str]:
    by_key = {r.key: r for r in rows}
    lines = [f"| group | command | wall s | CPU s | memory MB | wall vs floor | CPU vs floor | memory vs floor "
             f"| load | counted |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if r.error:
            lines.append(f"| {r.group} | {r.label} | n/a: {r.error} | | | | | | | |")
            continue
        f = by_key.get(r.floor) if r.floor else None
        ok = f is not None and not f.error and f.samples
        wall_r = targets.spread(targets.ratios(by_key, r.key, f.key, "wall")) if ok else ""
        cpu_r = targets.spread(targets.ratios(by_key, r.key, f.key, "cpu")) if ok else ""
        mem, fmem = r.peak("mem_mb"), f.peak("mem_mb") if ok else None
        mem_r = f"{mem / fmem:.2f}x" if mem and fmem else ""
        loads = [s.load for s in r.samples]
        lines.append(f"| {r.group} | {r.label} | {_num(r.median('wall'))} | {_num(r.median('cpu'))} | "
                     f"{_num(mem, '{:,.0f}')} | {wall_r} | {cpu_r} | {mem_r} | {max(loads):.1f} | {counted(r.stdout)} |")
    lines += ["", f"wall s and CPU s: medians of the {runs} timed runs (one run for the reference scripts and the "
              "stages); memory: the largest peak of the runs; X vs floor: median of the per-round ratios (min-max) "
              "against the row named in the group's first line (the report row: against the COCO scan); load: the "
              "highest 1-minute load average at the start of a run."]
    return lines


def _num(v, fmt: str = "{:.2f}") -> str:
    return fmt.format(v) if v is not None else ""


def stage_lines(rows: list) -> list[str]:
    row = next((r for r in rows if r.key == "photos_stages" and r.samples), None)
    if row is None:
        return []
    try:
        doc = json.loads(row.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return []
    total = sum(doc["stages"].values())
    out = [f"### The duplicate check, stage by stage ({doc['images']:,} photos, {doc['cores']} cores, one run)", "",
           "| stage | s | share |", "|---|---:|---:|"]
    out += [f"| {k} | {v:.2f} | {v / total * 100:.0f} % |" for k, v in doc["stages"].items()]
    out += [f"| {k} | {v:.2f} | |" for k, v in doc["floor_stages"].items()]
    copies = doc["copies"]
    out += ["", f"Planted copies: {copies['planted']}; missed: {len(copies['missed'])}; near copies at most "
            f"{copies['near_bits_max']} bits from their original.", ""]
    return out


SUMMARY_ROWS = ("coco_floor", "coco_scan", "coco_pycoco", "yolo_floor", "yolo_scan", "voc_floor", "voc_scan",
                "masks_floor", "masks_scan", "photos_floor", "photos_dup", "report")
START, END = "<!-- bench results: start (written by bench/run.py) -->", "<!-- bench results: end -->"


def summary(rows: list, checks: list, args, elapsed: float) -> list[str]:
    """The short version for README.md and bench/README.md: the main rows and every target."""
    by_key = {r.key: r for r in rows}
    loads = [s.load for r in rows for s in r.samples]
    out = [f"Last full run: {machine.describe(measure.memory_kind())[0][2:]}; {os.cpu_count()} cores; "
           f"{args.runs} rounds, 1-minute load {min(loads, default=0):.1f}-{max(loads, default=0):.1f}; "
           f"{elapsed / 60:.0f} min. Whole table: bench/results.md.", "",
           "| command | wall s | CPU s | memory MB | wall vs floor | CPU vs floor |", "|---|---:|---:|---:|---:|---:|"]
    for key in SUMMARY_ROWS:
        r = by_key.get(key)
        if r is None or r.error or not r.samples:
            continue
        f = by_key.get(r.floor) if r.floor else None
        ok = f is not None and not f.error and f.samples
        out.append(f"| {r.group}: {r.label} | {_num(r.median('wall'))} | {_num(r.median('cpu'))} | "
                   f"{_num(r.peak('mem_mb'), '{:,.0f}')} | "
                   f"{targets.spread(targets.ratios(by_key, key, f.key, 'wall')) if ok else ''} | "
                   f"{targets.spread(targets.ratios(by_key, key, f.key, 'cpu')) if ok else ''} |")
    out += ["", *targets.lines(checks)]
    return out


def publish(paths, lines: list[str]) -> list:
    """Put `lines` between the START and END markers of each file that has them; the files changed."""
    changed = []
    for path in paths:
        try:
            text = path.read_text()
        except OSError:
            continue
        if START in text and END in text:
            head, rest = text.split(START, 1)
            tail = rest.split(END, 1)[1]
            path.write_text(head + START + "\n" + "\n".join(lines) + "\n" + END + tail)
            changed.append(path)
    return changed


def counted(stdout: str) -> str:
    """What the command counted (images / labels), from its JSON output, to show the rows agree."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    try:  # insight prints one JSON document; the floors one JSON line, maybe after progress lines
        doc = json.loads(stdout)
    except ValueError:
        try:
            doc = json.loads(lines[-1])
        except (ValueError, IndexError):
            return ""
    if "dataset" in doc:  # insight.json's dataset part
        splits = doc["dataset"].get("splits", {})
        text = f"{_sum(splits, 'images'):,} img / {_sum(splits, 'labels'):,} labels"
        dup = targets.finding_counts(stdout)
        keys = ("duplicate_within_split", "leakage_exact", "leakage_near")
        if any(k in dup for k in keys) or "duplicates_checked" in dup:
            text += "; copies " + "/".join(str(dup.get(k, 0)) for k in keys)
        return text
    if "stages" in doc:
        return f"{doc['images']:,} img"
    if "leakage_near" in doc:
        return (f"{_sum(doc, 'images'):,} img; copies {doc['within_split']}/{doc['leakage_exact']}/"
                f"{doc['leakage_near']}")
    if "xml_files" in doc:
        return f"{doc['xml_files']:,} xml" + (f" / {doc['boxes']:,} boxes" if "boxes" in doc else "")
    first = next(iter(doc.values()), {})
    if "masks" in first:
        return f"{_sum(doc, 'masks'):,} masks"
    if "label_files" in first:
        return f"{_sum(doc, 'label_files'):,} files / {_sum(doc, 'boxes'):,} boxes"
    return f"{_sum(doc, 'images'):,} img / {_sum(doc, 'boxes'):,} boxes"


def _sum(splits: dict, key: str) -> int:
    return sum(int(v.get(key, 0)) for v in splits.values() if isinstance(v, dict))
