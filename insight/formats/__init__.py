"""Dataset formats: an explicit list of readers, each able to say how sure it is that a folder is its own.

    formats/
      protocol.py        DatasetReader: name, task, tasks, detect(root) -> Detection, load(...) -> Dataset
      class_folders.py   multilabel_csv.py
      coco/  yolo/  voc/  masks/     a package per format family; READER in its reader.py
      shared/            what several families use: tables, splits, image headers and files, polygons,
                         label maps

`--format` picks a reader by name; `--task` keeps only the readers that read that task, and a reader
never returns another task than the one asked for.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from insight.config import Config
from insight.detection import LIKELY, UNSURE, Detection
from insight.errors import DatasetError
from insight.formats.protocol import DatasetReader
from insight.progress import Progress, no_progress

if TYPE_CHECKING:  # pool workers import modules of this package: keep pandas out of their start-up
    from insight.model import Dataset

READER_MODULES = ("class_folders", "coco.reader", "yolo.reader", "voc.reader", "masks.reader", "multilabel_csv")


def readers() -> list[DatasetReader]:
    """Every dataset reader, in the order they are tried. Import is deferred to keep start-up fast."""
    return [import_module(f"insight.formats.{name}").READER for name in READER_MODULES]


def detect(root: Path, config: Config = Config()) -> DatasetReader:
    root = Path(root)
    if not root.exists():
        raise DatasetError("no such dataset folder", root)
    if not root.is_dir():
        raise DatasetError("expected a dataset folder, got a file", root)
    candidates = readers()
    if config.format:
        return _named(candidates, config, root)
    results = [(reader, _safe_detect(reader, root)) for reader in candidates]
    if config.task:
        return _best_for_task(results, config.task, root)
    best_reader, best = max(results, key=lambda r: r[1].confidence)
    if best.confidence < UNSURE:
        nested = _dataset_one_level_down(root, candidates)
        if nested:
            raise DatasetError(f"no dataset here, but {nested}: pass that folder", root)
        tried = "; ".join(f"{r.name}: {d.reason}" for r, d in results)
        raise DatasetError(f"unknown dataset layout (tried {tried})", root)
    rivals = [r for r, d in results if r is not best_reader and d.confidence >= best.confidence]
    if rivals:
        tried = "; ".join(f"{r.name}: {d.reason}" for r, d in results if d.confidence >= best.confidence)
        raise DatasetError(f"ambiguous dataset layout ({tried}); choose one with --format", root)
    return best_reader


def _named(candidates: list[DatasetReader], config: Config, root: Path) -> DatasetReader:
    chosen = [r for r in candidates if r.name == config.format]
    if not chosen:
        names = ", ".join(r.name for r in candidates)
        raise DatasetError(f"unknown format {config.format!r}; known formats: {names}")
    reader = chosen[0]
    if config.task and config.task not in reader.tasks:
        raise DatasetError(f"--task {config.task}: the {reader.name} format reads {_or(reader.tasks)}, "
                           f"not {config.task}", root)
    return reader


def _best_for_task(results: list[tuple[DatasetReader, Detection]], task: str, root: Path) -> DatasetReader:
    """The most confident reader among those that read `task`; refused, naming what the folder is,
    when none of them claims it."""
    able = [(r, d) for r, d in results if task in r.tasks]
    reader, best = max(able, key=lambda r: r[1].confidence)
    if best.confidence >= UNSURE and not any(d.confidence >= best.confidence for r, d in able if r is not reader):
        return reader
    if best.confidence >= UNSURE:
        tried = "; ".join(f"{r.name}: {d.reason}" for r, d in able if d.confidence >= best.confidence)
        raise DatasetError(f"ambiguous dataset layout for --task {task} ({tried}); choose one with --format",
                           root)
    other, found = max(results, key=lambda r: r[1].confidence)
    if found.confidence >= UNSURE:
        raise DatasetError(f"--task {task}: the folder reads as {other.name} ({found.reason}), which holds "
                           f"{_or(other.tasks)} labels, not {task}", root)
    tried = "; ".join(f"{r.name}: {d.reason}" for r, d in able)
    raise DatasetError(f"no {task} dataset layout found (tried {tried})", root)


def _or(tasks: tuple[str, ...]) -> str:
    return " or ".join(tasks)


NESTED_LOOKS = 8  # sub-folders tried when the folder itself is no dataset


def _dataset_one_level_down(root: Path, candidates: list[DatasetReader]) -> str:
    """'SUB reads as FORMAT' for the first of the folder's first sub-folders that one reader takes
    for sure or likely (a user who passed the folder above the dataset), or ""."""
    try:
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))[:NESTED_LOOKS]
    except OSError:
        return ""
    for sub in subs:
        found = [(r.name, d.confidence) for r in candidates if (d := _safe_detect(r, sub)).confidence >= LIKELY]
        if found:
            name = max(found, key=lambda f: f[1])[0]
            return f"{sub} reads as {name}"
    return ""


def load_dataset(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    reader = detect(Path(root), config)
    try:
        dataset = reader.load(Path(root), config, progress)
    except DatasetError as exc:
        raise _with_nested_hint(exc, Path(root), config) from None
    if config.task and dataset.task != config.task:  # a reader that cannot read the task says why itself
        raise DatasetError(f"--task {config.task}: the {reader.name} reader read {dataset.task} instead", root)
    return dataset


def _with_nested_hint(exc: DatasetError, root: Path, config: Config) -> DatasetError:
    """`exc`, saying where a dataset is when the reader found no layout in the folder itself (a folder that
    holds several datasets, one of which the detector saw further down) and a sub-folder reads as one."""
    if config.format or exc.path is None or Path(exc.path) != root:
        return exc
    nested = _dataset_one_level_down(root, readers())
    if not nested:
        return exc
    return DatasetError(f"{exc.reason}; {nested}: pass that folder", root)


def _safe_detect(reader: DatasetReader, root: Path) -> Detection:
    try:
        return reader.detect(root)
    except OSError as exc:
        return Detection.no(f"could not look inside ({exc.strerror or exc})")
