"""Command-line options that change what is read or a number in the report, in one typed object."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

DEFAULT_CUTOFF_FACTOR = 0.75  # DeepQ: cutoff = ceil(0.75 * N / K)
DEFAULT_SERIOUS_FACTOR = 0.5  # our rule: below half the cutoff is serious
DEFAULT_DRIFT_THRESHOLD = 0.2  # KS D or JS distance of a train/val difference that warns (insight/stats/drift.py)
DEFAULT_TIE_TOLERANCE = 0.005  # runs whose best values are this close (relative) tie (insight/diagnose/runs.py)
DEFAULT_NEAR_DUPLICATE_HAMMING = 10  # pHash bits; the reason is at NEAR_DUPLICATE_HAMMING (diagnose/duplicates.py)


@dataclass(frozen=True)
class Setting:
    """A setting that differs from its default: its name (a flag without dashes, e.g. 'cutoff-factor' or
    'curve-threshold.gl_alpha'), its value, and where it came from ('command line' or a settings file)."""

    name: str
    value: Any
    source: str


@dataclass(frozen=True)
class Config:
    # class representation (docs/numbers.md)
    cutoff_factor: float = DEFAULT_CUTOFF_FACTOR
    serious_factor: float = DEFAULT_SERIOUS_FACTOR
    # dataset reading
    format: str | None = None  # force a dataset format by name instead of detecting it
    task: str | None = None  # force a task (e.g. "segmentation" to read COCO polygons as masks)
    classes_file: str | None = None  # --classes: a label map for masks or YOLO without data.yaml
    ignore_index: int = 255  # mask value that is void, not a class
    negative_tag: tuple[str, ...] = ("No Finding",)  # multi-label tag meaning "no class"
    # read files a dataset refers to outside its folder (insight/bounds.py); off: they are reported, not opened
    follow_outside: bool = False
    # log reading
    run_id: str | None = None  # MLflow run, or a run folder name, to read instead of the newest
    workers: int | None = None  # process pool size for image and mask scans (None: all cores)
    # past one machine: the Dask scheduler's address (--scheduler, DASK_SCHEDULER_ADDRESS); the command
    # opens it (insight.scheduler) and the per-image work then runs on `executor`, which the Python API
    # may also give directly. None: this machine's process pool.
    scheduler: str | None = None
    executor: Executor | None = field(default=None, compare=False, repr=False)
    # a dataset in object storage: the local mirror the readers read and the URL it mirrors
    # (insight.storage); stages that need whole images read them from the store
    remote: Any = field(default=None, compare=False, repr=False)
    # duplicate check (docs/numbers.md, data health): max perceptual-hash distance of a near duplicate
    near_duplicate_hamming: int = DEFAULT_NEAR_DUPLICATE_HAMMING
    # split drift (insight/stats/drift.py): the effect size from which a train/val difference warns
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD
    # several runs (insight/diagnose/runs.py): relative difference of best values that is still a tie
    tie_tolerance: float = DEFAULT_TIE_TOLERANCE
    # curve diagnosis (docs/curves.md): thresholds changed from their defaults, (name, value) pairs naming
    # fields of insight.diagnose.curve_rules.CurveThresholds (--curve-threshold NAME=VALUE)
    curve_thresholds: tuple[tuple[str, float], ...] = ()
    # report: write report.html and insight.json only (--no-pdf), for a machine without Pango
    no_pdf: bool = False
    # --fail-on LEVELS, from the flag or the settings file (insight.gate reads it); None: no gate
    fail_on: str | None = None
    # the settings that differ from their defaults and where each came from (insight.config_file)
    settings: tuple[Setting, ...] = ()
