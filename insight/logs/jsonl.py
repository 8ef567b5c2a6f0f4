"""Plain JSON lines: one object per line with an epoch and/or step and metric keys.

    train_log.jsonl      {"epoch": 1, "step": 120, "train_loss": 0.91, "val_loss": 1.02, "val_acc": 0.64}
                         {"epoch": 2, "split": "val", "loss": 0.88, "mAP50": 0.41}
                         {"epoch": 3, "train": {"loss": 0.7}, "val": {"loss": 0.8}}    (nested: train/loss)

A `split`, `mode`, `phase` or `stage` key naming train/val/test gives the split of the line's unprefixed
names. The step is `step`, `global_step`, `iteration` or `iter`, else the line's index; `epoch` fills epoch.
"""

from __future__ import annotations

from pathlib import Path

from insight.config import Config
from insight.detection import LIKELY, SURE, UNSURE, Detection
from insight.logs.names import SPLIT_WORDS, normalise
from insight.logs.reading import axis, first_record, json_lines, walk
from insight.logs.table import Rows
from insight.model import Run

NAME = "jsonl"
STEP_KEYS = ("step", "global_step", "iteration", "iter")
SPLIT_KEYS = ("split", "mode", "phase", "stage")
SUFFIXES = (".jsonl", ".ndjson")


def candidates(folder: Path) -> list[Path]:
    def fits(p: Path) -> bool:
        return p.suffix.lower() in SUFFIXES + (".json", ".log") and detect(p).confidence > 0

    return walk(Path(folder), fits)


def detect(path: Path) -> Detection:
    path = Path(path)
    if not path.is_file():
        return Detection.no("not a file")
    record = first_record(path)
    if record is None:
        return Detection.no("first line is not a JSON object")
    flat = _flatten(record)
    metrics = [k for k in flat if (n := normalise(k)) is not None and n.known]
    axis = "epoch" in record or any(k in record for k in STEP_KEYS)
    if not metrics:
        return Detection.no("first line has no recognised metric key (such as loss, val_loss, accuracy)")
    if path.suffix.lower() in SUFFIXES:
        return Detection(SURE if axis else LIKELY, "JSON lines with metric keys")
    return Detection(LIKELY if axis else UNSURE, "JSON object lines with epoch/step and metric keys")


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    rows, (records, notes) = Rows(), json_lines(path)
    for index, (line, record) in enumerate(records):
        split = next((SPLIT_WORDS[str(record[k]).lower()] for k in SPLIT_KEYS
                      if k in record and str(record[k]).lower() in SPLIT_WORDS), None)
        step_key = next((k for k in STEP_KEYS if _is_number(record.get(k))), None)
        step = int(axis(record[step_key], step_key, path, line)) if step_key else index
        epoch = axis(record["epoch"], "epoch", path, line) if _is_number(record.get("epoch")) else None
        for key, value in _flatten(record).items():
            if key in SPLIT_KEYS or key == step_key or key == "epoch":
                continue
            rows.add(step, epoch, key, value, split)
    stepped = any(_is_number(r.get(k)) for _, r in records for k in STEP_KEYS)
    notes += [] if stepped else ["no step key: each line's index was used as its step"]
    return rows.run(NAME, path, notes)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _flatten(record: dict) -> dict:
    """{"train": {"loss": 1}} -> {"train/loss": 1}, without recursion (a line may nest deeply)."""
    flat, stack = {}, [("", iter(record.items()))]
    while stack:
        prefix, items = stack[-1]
        for key, value in items:
            if isinstance(value, dict):
                stack.append((f"{prefix}{key}/", iter(value.items())))
                break
            flat[f"{prefix}{key}"] = value
        else:
            stack.pop()
    return flat
