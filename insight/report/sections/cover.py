"""Cover page: what was read (dataset, task, format, splits), which run, when, by which version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from insight.config_file import value_text
from insight.model.dataset import order_splits
from insight.model.insight import Insight


@dataclass(frozen=True)
class SplitRow:
    name: str
    images: int
    labels: int


@dataclass(frozen=True)
class SettingRow:
    """A setting that differs from its default: name (a flag without dashes), value as text, and
    source ("command line" or the settings file)."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class CoverContext:
    """Template: sections/cover.html.

    title: the report's title (also the page header). dataset_name: last part of the dataset path.
    dataset_path, task, format, class_count: None when no dataset was read; class_count leaves out the
    label map's background classes (`background`), which are not classes to represent. splits: images and labels
    per split. run_source/run_format: the training log (None without one); other_runs: the other logs
    compared when several runs were given (run_source is the one the report's curves show); run_error: why it could
    not be read. generated: the date the report was made; version: insight's version.
    settings: the settings that differ from their defaults, with where each came from (empty: all
    defaults).
    """

    title: str
    dataset_name: str
    dataset_path: str | None
    task: str | None
    format: str | None
    class_count: int | None
    splits: tuple[SplitRow, ...]
    run_source: str | None
    run_format: str | None
    other_runs: tuple[str, ...]
    run_error: str | None
    generated: str
    version: str
    notes: tuple[str, ...]
    settings: tuple[SettingRow, ...] = ()
    background: tuple[str, ...] = ()  # the label map's background classes, left out of class_count


def build_cover(insight: Insight) -> CoverContext:
    ds = insight.dataset
    name = PurePath(ds.path).name or ds.path if ds else "no dataset"
    splits = ()
    if ds is not None:
        splits = tuple(SplitRow(s, ds.splits[s].images, ds.splits[s].labels)
                       for s in order_splits(ds.splits))
    curves = insight.curves
    return CoverContext(
        title=f"Training data and run report: {name}",
        dataset_name=name,
        dataset_path=ds.path if ds else None,
        task=ds.task if ds else None,
        format=ds.format if ds else None,
        class_count=len(ds.represented) if ds else None,
        background=tuple(ds.background) if ds else (),
        splits=splits,
        run_source=curves.source if curves else None,
        run_format=curves.format if curves else None,
        other_runs=tuple(r.source for r in insight.runs.runs if r.source != curves.source) if insight.runs else (),
        run_error=insight.curves_error,
        generated=insight.generated,
        version=insight.version,
        notes=tuple(ds.notes) if ds else (),
        settings=tuple(SettingRow(s.name, value_text(s.value), s.source) for s in insight.settings),
    )
