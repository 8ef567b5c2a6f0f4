"""What every dataset reader is: a name, the tasks it reads, a detector that says how sure it is that a
folder is its own (and why), and a loader that returns the tidy tables.

    reader.detect(root)                    -> Detection(confidence, reason)
    reader.load(root, config, progress)    -> Dataset
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from insight.config import Config
from insight.detection import Detection
from insight.progress import Progress

if TYPE_CHECKING:  # pool workers import modules of this package: keep pandas out of their start-up
    from insight.model import Dataset


class DatasetReader(Protocol):
    name: str  # what --format takes, e.g. "coco"
    task: str  # the task read when --task is not given (a loader may read another from the files)
    tasks: tuple[str, ...]  # every task --task may ask of it

    def detect(self, root: Path) -> Detection: ...

    def load(self, root: Path, config: Config, progress: Progress) -> Dataset: ...


@dataclass(frozen=True)
class FormatReader:
    """The one implementation of DatasetReader: each format's reader module builds its READER with it."""

    name: str
    task: str
    tasks: tuple[str, ...]
    detect: Callable[[Path], Detection]
    load: Callable[[Path, Config, Progress], Dataset]
