"""Detectron2 `metrics.json` (JSON lines written by its JSONWriter every `period` iterations).

    output/
        metrics.json     {"iteration": 19, "total_loss": 2.7, "loss_cls": 1.9, "loss_box_reg": 0.5, "lr": 2e-06, ...}
                         {"iteration": 199, ..., "bbox/AP": 10.7, "bbox/AP50": 27.0, ...}   (evaluation rows)
        events.out.tfevents.*, last_checkpoint, model_*.pth

Training values are iteration-level train values at step = iteration (no epochs: Detectron2 counts
iterations). Evaluation results (bbox/, segm/, keypoints/, sem_seg/, panoptic_seg/) are val values.
Detectron2's evaluators report percentages (COCO AP x 100, mIoU x 100): they are divided by 100 here so
every mAP and IoU in the table is 0..1.

A restarted training appends to the same file, so the iteration counter goes back: each restart starts a
new segment. The segment is chosen by the rule every reader shares (table.last_complete): the last complete
one, with at least MIN_RUN_POINTS records (shorter ones after it are aborted starts), and a note says so.
Detectron2 segments by records, not per series, because a restart here can also log the same iteration
again. A segment that starts far into training (a resume from a checkpoint) continues the segment before
it: the earlier rows below its first iteration are kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from insight.config import Config
from insight.errors import LogError
from insight.detection import LIKELY, SURE, Detection
from insight.logs.reading import axis, first_record, json_lines, walk
from insight.logs.table import MIN_RUN_POINTS, Rows, last_complete
from insight.model import Run

NAME = "detectron2"
EVAL_PREFIX = re.compile(r"(?:bbox|segm|keypoints|sem_seg|panoptic_seg)/")
PERCENT = 100.0  # Detectron2 evaluators report AP, IoU and accuracy in percent
RESUME_PERIODS = 2  # a segment whose first iteration is beyond this many logging periods is a resume
AXIS = ("iteration",)


def candidates(folder: Path) -> list[Path]:
    return walk(Path(folder), lambda p: p.suffix.lower() in (".json", ".jsonl") and detect(p).confidence > 0)


def detect(path: Path) -> Detection:
    path = Path(path)
    if not path.is_file():
        return Detection.no("not a file")
    record = first_record(path)
    if record is None or "iteration" not in record:
        return Detection.no("first line is not a JSON object with an iteration")
    if path.name == "metrics.json":
        return Detection(SURE, "metrics.json with iteration records (Detectron2)")
    if "total_loss" in record or any(str(k).startswith("loss_") for k in record):
        return Detection(LIKELY, "JSON lines with iteration and loss_* keys (Detectron2)")
    return Detection.no("JSON lines with an iteration but no total_loss or loss_* keys")


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    records, read_notes = json_lines(path)
    for line, record in records:
        if isinstance(record.get("iteration"), bool) or not isinstance(record.get("iteration"), (int, float)):
            raise LogError("expected a numeric 'iteration' in every record", path, line)
        axis(record["iteration"], "iteration", path, line)
    segments = _segments(records)
    chosen, notes = _choose(segments)
    rows = Rows()
    for _line, record in chosen:
        step = int(record["iteration"])
        for key, value in record.items():
            if key in AXIS:
                continue
            evaluation = bool(EVAL_PREFIX.match(key))
            if evaluation and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = value / PERCENT
            rows.add(step, None, key, value, "val" if evaluation else "train")
    return rows.run(NAME, path, read_notes + notes)


def _segments(records: list[tuple[int, dict]]) -> list[list[tuple[int, dict]]]:
    """Split where the iteration goes back, or repeats with the same keys (a restart logging again)."""
    segments: list[list[tuple[int, dict]]] = []
    prev: dict | None = None
    for line, record in records:
        it = record["iteration"]
        restart = prev is not None and (it < prev["iteration"] or (
            it == prev["iteration"] and (set(record) & set(prev)) - {"iteration", "eta_seconds"}))
        if prev is None or restart:
            segments.append([])
        segments[-1].append((line, record))
        prev = record
    return segments


def _choose(segments: list) -> tuple[list, list[str]]:
    if len(segments) <= 1:
        return (segments[0] if segments else []), []
    index = last_complete([len(s) for s in segments])
    period = _period(segments)
    chosen, resumed = list(segments[index]), 0
    i = index
    while i > 0 and chosen[0][1]["iteration"] > RESUME_PERIODS * period:
        start = chosen[0][1]["iteration"]
        i -= 1
        chosen = [r for r in segments[i] if r[1]["iteration"] < start] + chosen
        resumed += 1
    starts = ", ".join(str(s[0][0]) for s in segments[1:][:10])
    first, last = chosen[0], chosen[-1]
    note = (f"this file holds {len(segments)} runs appended one after another (the iteration counter goes back "
            f"at lines {starts}); the last complete one (at least {MIN_RUN_POINTS} rows), lines {first[0]}-"
            f"{last[0]} (iterations {first[1]['iteration']}-{last[1]['iteration']}, {len(chosen):,} rows), was read")
    if index != len(segments) - 1:
        note += f"; the {len(segments) - 1 - index} shorter run(s) after it look like aborted starts"
    if resumed:
        note += f"; it resumes from a checkpoint, so {resumed} earlier segment(s) supply the iterations before it"
    return chosen, [note]


def _period(segments: list) -> float:
    """The logging period: the median gap between consecutive iterations within segments."""
    gaps = [b[1]["iteration"] - a[1]["iteration"] for s in segments for a, b in zip(s, s[1:])]
    gaps = [g for g in gaps if g > 0]
    return float(np.median(gaps)) if gaps else 20.0
