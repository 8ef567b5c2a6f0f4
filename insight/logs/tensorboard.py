"""TensorBoard event files (scalars only), read with the `tensorboard` package (extra `insight-cv[tensorboard]`).

    <run>/                                   a run folder: the event files in it and its sub-folders
        events.out.tfevents.<time>.<host>...     tags such as train/loss, val/loss, loss/train, Loss/val
        train/events.out.tfevents.*               Keras: split-named sub-folders, tags epoch_loss, ...
        validation/events.out.tfevents.*
        Learning Rate/lr0/events.out.tfevents.*   torch add_scalars: sub-folder <main tag>/<key> or
        Loss_train/events.out.tfevents.*          <main tag>_<key>, tag <main tag>

Several files in one run (restarts, Lightning fit/validate/test) are merged oldest first; a step logged
in several files keeps the newest file's values. Within one file every value logged at a step is kept
(some trainers write each batch's loss at the epoch's step; the diagnosis averages them), except one
extra value at a tag's last step alone (an evaluation of the best weights after the last epoch). Sub-folders that are neither split-named nor
add_scalars groups of the run are other runs: they are not mixed in, and a note lists them.
`epoch` comes from an `epoch` scalar (Lightning) at the same step, or is the step for Keras `epoch_*` tags
and for a file whose training loss and validation values share the same consecutive steps 1, 2, 3, ...
(Ultralytics and YOLOv5 log at the epoch so: nobody validates after every batch).
A folder that also holds a text log (results.csv, metrics.csv, metrics.json) is left to that log's reader.
"""

from __future__ import annotations

import logging
import re
import struct
from contextlib import contextmanager
from pathlib import Path

from insight.config import Config
from insight.errors import LogError, MissingExtraError
from insight.detection import SURE, Detection
from insight.logs.names import SPLIT_WORDS, normalise
from insight.logs.reading import walk
from insight.logs.table import Rows
from insight.model import Run
from insight.safe_input import open_regular

NAME = "tensorboard"
EVENT_PATTERN = "tfevents"
TEXT_LOGS = ("results.csv", "metrics.csv", "metrics.json")  # read by their own readers instead


def candidates(folder: Path) -> list[Path]:
    runs = sorted({_run_folder(d) for d in walk(Path(folder), _holds_events, dirs=True)}
                  | ({Path(folder)} if _holds_events(Path(folder)) else set()))
    kept = [r for r in runs if not any(o != r and o in r.parents for o in runs)]
    return [r for r in kept if detect(r).confidence > 0]


def detect(path: Path) -> Detection:
    path = Path(path)
    if path.is_file():
        if _is_event_file(path):
            return Detection(SURE, "a TensorBoard event file")
        return Detection.no("file name has no 'tfevents'")
    if not path.is_dir():
        return Detection.no("no such file or folder")
    text_logs = [n for n in TEXT_LOGS if (path / n).is_file()]
    if text_logs:
        return Detection.no(f"folder holds {text_logs[0]}, read by its own reader")
    if _holds_events(path) or any(_run_folder(d) == path for d in path.iterdir() if d.is_dir() and _holds_events(d)):
        return Detection(SURE, "folder with TensorBoard event files")
    return Detection.no("no events.out.tfevents.* file in the folder or its split sub-folders")


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    accumulator = _accumulator_class()
    files = [path] if path.is_file() else _event_files(path)
    if not files:
        raise LogError("no TensorBoard event files (events.out.tfevents.*) here", path)
    root = path.parent if path.is_file() else path
    rows, notes, empty, others = Rows(several_per_step=True), [], [], set()
    per_epoch = False
    for file in files:
        rows.next_file()
        with _loader_stops() as stops:
            raw = _scalars(accumulator, file)
        scalars, orphans, repeats = _drop_orphans(raw)
        notes.extend(_damage_notes(file, file.relative_to(root), check_crc=bool(stops)))
        if orphans:
            notes.append(f"{file.relative_to(root)}: {orphans} point(s) left by a "
                         "restart (the step went back) were replaced by the restarted run's, as TensorBoard shows")
        if repeats:
            notes.append(f"{file.relative_to(root)}: {repeats} value(s) logged again at the step just logged "
                         "(an extra evaluation, e.g. of the best weights after the last epoch): the first, the "
                         "step's own, was kept")
        if not scalars:
            empty.append(f"{file.relative_to(root)} ({file.stat().st_size} bytes)")
            continue
        placed = _place(file.parent.relative_to(root), scalars)
        if placed is None:
            others.add(str(file.parent.relative_to(root)))
            continue
        per_epoch |= _add(rows, placed)
    if per_epoch:
        notes.append("the step of this log counts epochs: the training loss and the validation values were "
                     "logged at the same steps, counting up with none skipped")
    if empty:
        notes.append(f"{len(empty)} event file(s) hold no scalars: {', '.join(empty[:5])}")
    if others:
        notes.append(f"sub-folders holding other runs were not mixed in: {', '.join(sorted(others)[:8])}")
    if not len(rows):
        size = f" ({path.stat().st_size} bytes: no summary was ever written)" if path.is_file() else ""
        raise LogError(f"holds no scalar values{size}; expected scalars such as loss or val/loss", path)
    if len(files) > 1:
        notes.append(f"{len(files) - len(empty)} event files merged, oldest first")
    return rows.run(NAME, path, notes)


def _accumulator_class():
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        raise MissingExtraError("TensorBoard event files", "tensorboard") from None
    return EventAccumulator


def _scalars(accumulator, file: Path) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value)] of the file's scalars, from simple values and from scalar tensors."""
    try:
        acc = accumulator(str(file), size_guidance={"scalars": 0, "tensors": 0, "images": 1,
                                                     "audio": 1, "histograms": 1}, purge_orphaned_data=False)
        acc.Reload()
    except Exception as exc:  # the reader raises its own DataLossError and protobuf errors
        raise LogError(f"not a readable TensorBoard event file ({type(exc).__name__}: {exc})", file) from None
    tags = acc.Tags()
    found = {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in tags.get("scalars", [])}
    for tag in tags.get("tensors", []):
        if acc.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
            continue
        from tensorboard.util import tensor_util

        found[tag] = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto).item())) for e in acc.Tensors(tag)]
    return found


class _Stops(logging.Handler):
    """What TensorBoard's event loader logs (at debug level) when a DataLossError stops it: a record
    cut short or one whose checksum fails."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "Truncated record" in text or "crc" in text.lower():
            self.messages.append(text)


@contextmanager
def _loader_stops():
    logger = logging.getLogger("tensorboard")
    handler, level = _Stops(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _damage_notes(file: Path, name: Path, check_crc: bool) -> list[str]:
    """Notes on a file the event reader could not read to its end. Each record is a uint64 length, a
    uint32 masked CRC-32C of it, the payload and a uint32 masked CRC-32C of the payload; the reader
    stops at an incomplete record (a copy cut short, a file still being written) or at one whose
    checksum fails, with only a debug message. Checksums are checked here only when it stopped."""
    records, bad, cut, lost = _records(file, check_crc)
    notes = []
    if lost:
        notes.append(f"{name}: the length of record {records + 1} fails its checksum (damaged on disk or in a "
                     f"copy): the reader stops there, so the last {lost} bytes (every record from it on) were "
                     "dropped; the values before it were read")
    elif bad is not None:
        notes.append(f"{name}: record {bad + 1} of {records} fails its checksum (damaged on disk or in a copy): "
                     f"the reader stops there, so {records - bad} record(s) were dropped; the values before it "
                     "were read")
    if cut:
        notes.append(f"{name} is cut short (its last record is incomplete, {cut} bytes): the values before the "
                     "cut were read")
    return notes


def _records(file: Path, check_crc: bool) -> tuple[int, int | None, int, int]:
    """(whole records, index of the first whose checksum fails or None, bytes of an incomplete end,
    bytes lost after a length whose own checksum fails: no record boundary after it can be trusted)."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    size, pos, count, bad = file.stat().st_size, 0, 0, None
    with open_regular(file, size, LogError) as handle:
        while pos + 12 <= size:
            handle.seek(pos)
            head = handle.read(12)
            (length,), (head_crc,) = struct.unpack("<Q", head[:8]), struct.unpack("<I", head[8:])
            if check_crc and bad is None and masked_crc32c(head[:8]) != head_crc:
                return count, None, 0, size - pos
            if pos + 12 + length + 4 > size:
                break
            if check_crc and bad is None:
                payload, (crc,) = handle.read(length), struct.unpack("<I", handle.read(4))
                bad = count if masked_crc32c(payload) != crc else None
            pos, count = pos + 12 + length + 4, count + 1
    return count, bad, size - pos, 0


def _drop_orphans(scalars: dict) -> tuple[dict, int, int]:
    """When a tag's step goes back inside one file, the run restarted: its earlier points at or beyond
    the new step are orphans (TensorBoard's purge_orphaned_data rule), counted for a note. Several values
    of a tag at one step are kept (per-batch values written at the epoch's step), unless the tag repeats
    its last step alone: that is an extra evaluation (Ultralytics validates the best weights again after
    the last epoch), whose values after the step's own first one are dropped and counted.
    Returns (scalars, orphans, repeats)."""
    dropped, repeats, kept_all = 0, 0, {}
    for tag, points in scalars.items():
        kept: list[tuple[int, float]] = []
        for step, value in points:
            if kept and step < kept[-1][0]:
                before = len(kept)
                kept = [p for p in kept if p[0] < step]
                dropped += before - len(kept)
            kept.append((step, value))
        kept, extra = _extra_evaluation(kept)
        repeats += extra
        kept_all[tag] = kept
    return kept_all, dropped, repeats


def _extra_evaluation(points: list[tuple[int, float]]) -> tuple[list[tuple[int, float]], int]:
    """(points, dropped): when only the last step of a tag holds several values, the first is kept."""
    steps = [step for step, _ in points]
    repeated = {s for s, nxt in zip(steps, steps[1:]) if s == nxt}
    if repeated != {steps[-1]} if steps else True:
        return points, 0
    first = steps.index(steps[-1])
    return points[:first + 1], len(points) - first - 1


def _place(sub: Path, scalars: dict) -> list[tuple[str, str | None, list]] | None:
    """(raw name, split, points) for each tag of a file in sub-folder `sub` of the run; None for another run."""
    parts = [p for p in sub.parts if p not in ("", ".")]
    split = next((SPLIT_WORDS[p.lower()] for p in parts if p.lower() in SPLIT_WORDS), None)
    group = [p for p in parts if p.lower() not in SPLIT_WORDS]
    if not group:
        return [(tag, split, points) for tag, points in scalars.items()]
    placed = []
    group_key = _key("_".join(group))
    for tag, points in scalars.items():
        tag_key = _key(tag)
        if not group_key.startswith(tag_key + "_"):
            return None
        placed.append((f"{tag}/{group_key[len(tag_key) + 1:]}", split, points))
    return placed


def _add(rows: Rows, placed: list) -> bool:
    """Add a file's values; True when its steps were read as epochs (_steps_are_epochs)."""
    epochs: dict[int, float] = {}
    for raw, _split, points in placed:
        if raw.lower() == "epoch":
            epochs.update({int(step): float(value) for step, value in points})
    per_epoch = not epochs and _steps_are_epochs(placed)
    for raw, split, points in placed:
        name = normalise(raw, split)
        keras_epoch = per_epoch or (name is not None and name.granularity == "epoch")
        for step, value in points:
            epoch = epochs.get(int(step), float(step) if keras_epoch else None)
            rows.add(int(step), epoch, raw, value, split)
    return per_epoch


def _steps_are_epochs(placed: list) -> bool:
    """A training loss and a validation series logged at the same steps, which run 1, 2, 3, ... (or from
    0) without a gap: validation runs once an epoch, so the step counts epochs."""
    steps: dict[str, list[set[int]]] = {"train": [], "val": []}
    for raw, split, points in placed:
        name = normalise(raw, split)
        if name is None or name.split not in steps or not points:
            continue
        if name.split == "train" and "loss" not in name.name.lower():
            continue
        steps[name.split].append({int(step) for step, _ in points})
    for train in steps["train"]:
        low, high = min(train), max(train)
        if low in (0, 1) and high > low and train == set(range(low, high + 1)) and train in steps["val"]:
            return True
    return False


def _event_files(folder: Path) -> list[Path]:
    files = walk(folder, _is_event_file)
    return sorted(files, key=lambda f: (_file_time(f), str(f)))


def _file_time(file: Path) -> int:
    found = re.search(r"tfevents\.(\d+)", file.name)
    return int(found.group(1)) if found else 0


def _is_event_file(path: Path) -> bool:
    return EVENT_PATTERN in path.name and path.is_file()


def _holds_events(folder: Path) -> bool:
    try:
        return any(EVENT_PATTERN in p.name and p.is_file() for p in folder.iterdir())
    except OSError:
        return False


def _split_dir(folder: Path) -> bool:
    return folder.name.lower() in SPLIT_WORDS


def _run_folder(folder: Path) -> Path:
    """Keras writes <run>/train and <run>/validation: a split-named folder is part of its parent's run
    when the parent or a sibling split folder holds events too (else it is a run named train, as
    Ultralytics names its runs)."""
    if not _split_dir(folder):
        return folder
    siblings = [d for d in folder.parent.iterdir() if d != folder and d.is_dir() and _split_dir(d)]
    if _holds_events(folder.parent) or any(_holds_events(d) for d in siblings):
        return folder.parent
    return folder


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
