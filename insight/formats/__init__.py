"""Dataset formats: an explicit list of loaders, each able to say how sure it is that a folder is its own.

Every loader module exposes:
    NAME: str                      e.g. "class-folders"
    TASK: str                      one of insight.model.TASKS
    detect(root: Path) -> Detection
    load(root: Path, config: Config, progress: Progress) -> Dataset
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from insight.config import Config
from insight.detection import LIKELY, SURE, UNSURE, Detection  # noqa: F401 (re-exported)
from insight.errors import DatasetError
from insight.progress import Progress, no_progress

if TYPE_CHECKING:  # pool workers import modules of this package: keep pandas out of their start-up
    from insight.model import Dataset


def readers() -> list[ModuleType]:
    """Every dataset loader, in the order they are tried. Import is deferred to keep start-up fast."""
    from insight.formats import class_folders

    found = [class_folders]
    for name in ("coco", "yolo", "pascal_voc", "masks", "multilabel_csv"):
        try:
            found.append(__import__(f"insight.formats.{name}", fromlist=[name]))
        except ModuleNotFoundError as exc:  # a format not written yet
            if exc.name != f"insight.formats.{name}":
                raise
    return found


def detect(root: Path, config: Config = Config()) -> ModuleType:
    root = Path(root)
    if not root.exists():
        raise DatasetError("no such dataset folder", root)
    if not root.is_dir():
        raise DatasetError("expected a dataset folder, got a file", root)
    candidates = readers()
    if config.format:
        chosen = [m for m in candidates if m.NAME == config.format]
        if not chosen:
            names = ", ".join(m.NAME for m in candidates)
            raise DatasetError(f"unknown format {config.format!r}; known formats: {names}")
        return chosen[0]
    results = [(module, _safe_detect(module, root)) for module in candidates]
    best_module, best = max(results, key=lambda r: r[1].confidence)
    if best.confidence < UNSURE:
        nested = _dataset_one_level_down(root, candidates)
        if nested:
            raise DatasetError(f"no dataset here, but {nested}: pass that folder", root)
        tried = "; ".join(f"{m.NAME}: {d.reason}" for m, d in results)
        raise DatasetError(f"unknown dataset layout (tried {tried})", root)
    rivals = [m for m, d in results if m is not best_module and d.confidence >= best.confidence]
    if rivals:
        tried = "; ".join(f"{m.NAME}: {d.reason}" for m, d in results if d.confidence >= best.confidence)
        raise DatasetError(f"ambiguous dataset layout ({tried}); choose one with --format", root)
    return best_module


NESTED_LOOKS = 8  # sub-folders tried when the folder itself is no dataset


def _dataset_one_level_down(root: Path, candidates: list[ModuleType]) -> str:
    """'SUB reads as FORMAT' for the first of the folder's first sub-folders that one reader takes
    for sure or likely (a user who passed the folder above the dataset), or ""."""
    try:
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))[:NESTED_LOOKS]
    except OSError:
        return ""
    for sub in subs:
        found = [(m.NAME, d.confidence) for m in candidates if (d := _safe_detect(m, sub)).confidence >= LIKELY]
        if found:
            name = max(found, key=lambda f: f[1])[0]
            return f"{sub} reads as {name}"
    return ""


def load_dataset(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    module = detect(Path(root), config)
    return module.load(Path(root), config, progress)


def _safe_detect(module: ModuleType, root: Path) -> Detection:
    try:
        return module.detect(root)
    except OSError as exc:
        return Detection.no(f"could not look inside ({exc.strerror or exc})")
