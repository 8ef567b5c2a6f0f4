"""MMEngine `vis_data/scalars.json` and MMCV/MMDetection 2.x `*.log.json` (JSON lines).

    work_dirs/<config>/<timestamp>/vis_data/scalars.json     (MMEngine, OpenMMLab 2.x)
        {"lr": 0.1, "loss": 2.65, "loss_cls": ..., "epoch": 1, "iter": 10, "step": 10}   train row
        {"accuracy/top1": 18.8, "coco/bbox_mAP": 0.37, "step": 1}                       val row
    work_dirs/<config>/<timestamp>.log.json                    (MMCV TextLoggerHook, OpenMMLab 1.x)
        {"env_info": ..., "config": ...}                                               metadata line
        {"mode": "train", "epoch": 1, "iter": 10, "lr": 0.02, "loss": 1.2, ...}         iter: within the epoch
        {"mode": "val", "epoch": 1, "iter": 500, "bbox_mAP": 0.37, ...}

MMEngine's val rows carry no epoch key and their `step` is the epoch in an epoch-based run (train rows
carry `epoch`), the iteration otherwise. A val row is placed at the last train step of its epoch, with
`epoch` set. MMCV counts `iter` within each epoch: steps are made global by adding the iterations of the
epochs before. lr and momentum copied into val rows are not val measurements and are skipped there.
"""

from __future__ import annotations

from pathlib import Path

from insight.config import Config
from insight.detection import LIKELY, SURE, Detection
from insight.logs.names import is_lr
from insight.logs.reading import axis, first_record, json_lines, walk
from insight.logs.table import Rows, to_float
from insight.model import Run

NAME = "mmengine"
AXIS = {"step", "epoch", "iter", "mode"}
TRAIN_SIGNS = ("lr", "loss", "iter", "epoch")


def candidates(folder: Path) -> list[Path]:
    return walk(Path(folder), lambda p: p.suffix.lower() == ".json" and detect(p).confidence > 0)


def detect(path: Path) -> Detection:
    path = Path(path)
    if not path.is_file():
        return Detection.no("not a file")
    record = first_record(path)
    if record is None:
        return Detection.no("first line is not a JSON object")
    if path.name.endswith(".log.json") and ("mode" in record or "env_info" in record):
        return Detection(SURE, "MMCV *.log.json (JSON lines with mode train/val)")
    if path.name in ("scalars.json", "vis_data.json") or path.parent.name == "vis_data":
        if "step" in record:
            return Detection(SURE, "MMEngine vis_data scalars (JSON lines with step)")
    if record.get("mode") in ("train", "val") and "iter" in record:
        return Detection(LIKELY, "JSON lines with mode and iter (MMCV log)")
    if "step" in record and "data_time" in record and "lr" in record:
        return Detection(LIKELY, "JSON lines with step, lr and data_time (MMEngine scalars)")
    return Detection.no("no mode/iter (MMCV) or step/lr/data_time (MMEngine) keys")


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    records, notes = json_lines(path)
    for line, record in records:
        for key in ("step", "iter", "epoch"):
            if key in record:
                axis(record[key], key, path, line)
    if any("mode" in r for _, r in records):
        return _read_mmcv(path, records, notes)
    return _read_scalars(path, records, notes)


def _read_scalars(path: Path, records: list[tuple[int, dict]], notes: list[str]) -> Run:
    train = [r for _, r in records if _is_train(r)]
    by_epoch = any("epoch" in r for r in train)
    last_step: dict[float, int] = {}
    for r in train:
        if "epoch" in r and "step" in r:
            epoch = to_float(r["epoch"])
            last_step[epoch] = max(last_step.get(epoch, 0), int(to_float(r["step"])))
    rows = Rows()
    for index, (_line, record) in enumerate(records):
        step = int(to_float(record.get("step", index)))
        if _is_train(record):
            _add(rows, step, record.get("epoch"), record, None)
        elif by_epoch:
            epoch = float(step)
            _add(rows, last_step.get(epoch, step), epoch, record, "val")
        else:
            _add(rows, step, None, record, "val")
    if by_epoch and any(not _is_train(r) for _, r in records):
        notes.append("val rows' step is the epoch in an epoch-based MMEngine run: each was placed at the last "
                     "train step of its epoch")
    return rows.run(NAME, path, notes)


def _read_mmcv(path: Path, records: list[tuple[int, dict]], notes: list[str]) -> Run:
    rows = Rows()
    skipped = sum(1 for _, r in records if "mode" not in r)
    if skipped:
        notes.append(f"{skipped} line(s) without a mode (run metadata such as env_info) were not read as metrics")
    offset, epoch_iters, current, step = 0, 0, None, 0
    for _line, record in records:
        mode = record.get("mode")
        if mode is None:
            continue
        epoch = record.get("epoch")
        if mode == "train":
            if epoch != current:
                offset, epoch_iters, current = offset + epoch_iters, 0, epoch
            inner = int(to_float(record.get("iter", epoch_iters + 1)))
            epoch_iters = max(epoch_iters, inner)
            step = offset + inner if epoch is not None else inner
            _add(rows, step, epoch, record, "train")
        else:
            _add(rows, step, epoch, record, "val" if mode in ("val", "eval") else mode)
    return rows.run(NAME, path, notes)


def _is_train(record: dict) -> bool:
    return any(k in record for k in TRAIN_SIGNS) or any("loss" in str(k) for k in record)


def _add(rows: Rows, step: int, epoch, record: dict, split: str | None) -> None:
    for key, value in record.items():
        if key in AXIS:
            continue
        if split == "val" and (is_lr(key) or key == "momentum"):
            continue
        rows.add(step, epoch, key, value, split)
