"""Tables of every chart's values: the class counts, the label distribution per split, each loss
(raw and smoothed) and each metric per x, then the tables of task-specific blocks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.charts.style import chart_key
from insight.model.insight import CurveDiagnosis, Insight
from insight.report.sections import data_stats
from insight.report.sections.common import Column, Table, table
from insight.report.sections.curves import loss_names, metric_names
from insight.report.sections.data_stats import distribution_frame
from insight.report.sections.summary import class_rows, representation_splits

MAX_ROWS = 400  # longer curve tables (per-step logs) show every k-th x plus the last, and say so
METRIC_COLUMNS_PER_TABLE = 8  # value columns per metrics table: one screen wide


@dataclass(frozen=True)
class TablesContext:
    """Template: sections/tables.html (report.html only). tables: every table, in the order of the
    charts."""

    tables: tuple[Table, ...]
    any_sortable: bool = False  # some table can be sorted by clicking a heading


def build_tables(insight: Insight) -> TablesContext:
    tables: list[Table] = []
    if insight.representation is not None:
        tables += [_class_table(insight), _distribution_table(insight)]
    for spec in data_stats.DATA_PARTS:
        tables += list(spec.tables(insight))
    if insight.curves is not None and insight.curves.table is not None:
        tables += _curve_tables(insight.curves)
    return TablesContext(tables=tuple(tables), any_sortable=any(t.sortable for t in tables))


def _class_table(insight: Insight) -> Table:
    rep = insight.representation
    splits = representation_splits(rep)
    columns = [Column("class"), Column(rep.count_of, "int"), Column("share", "pct"), Column("tier", "tag"),
               Column("to add", "int")] + [Column(s, "int") for s in splits]
    rows = [[r.name, r.count, r.share, r.tier_label, r.to_add, *r.by_split] for r in class_rows(rep) if r.count]
    return table("t-classes", f"Labels per class (cutoff {rep.cutoff:,})", columns, rows)


def _distribution_table(insight: Insight) -> Table:
    rep = insight.representation
    splits = representation_splits(rep)
    frame = distribution_frame(rep)
    labelled = {c.name for c in rep.classes if c.count}  # the others are the summary's one line
    frame = frame[frame["class"].isin(labelled)]
    columns = [Column("class")]
    for s in splits:
        columns += [Column(f"{s}", "int"), Column(f"{s} share", "pct")]
    rows = []
    for name, part in frame.groupby("class", sort=False):
        by = part.set_index("split")
        rows.append([name] + [v for s in splits for v in (by.at[s, "count"], by.at[s, "share"])])
    return table("t-splits", "Label distribution per split", columns, rows)


def _curve_tables(curves: CurveDiagnosis) -> list[Table]:
    data = curves.table
    out = []
    for name in loss_names(curves, data):
        wide = _wide(data[data["name"] == name], ["value", "smoothed"])
        wanted = [(s, c) for s in ("train", "val") for c in ("value", "smoothed") if (s, c) in wide.columns]
        title = f"{curves.shown_name(name)} per {curves.x_axis}"
        out.append(_series_table(chart_key("t-loss", name), title, curves.x_axis, wide, wanted))
    names = metric_names(curves, data)
    wide = _wide(data[data["name"].isin(names)], ["value"], by_name=True)
    series = [(n, s) for n in names for s in ("train", "val") if (n, s) in wide.columns]
    groups = _even_groups(series, METRIC_COLUMNS_PER_TABLE)
    for i, group in enumerate(groups, start=1):
        title = f"Metrics per {curves.x_axis}" + (f" ({i} of {len(groups)})" if len(groups) > 1 else "")
        out.append(_series_table(f"t-metrics-{i}", title, curves.x_axis, wide, group))
    return out


def _even_groups(items: list, most: int) -> list[list]:
    """Split into as few groups of at most `most` as possible, sized evenly (5 -> 3 + 2)."""
    if not items:
        return []
    count = -(-len(items) // most)
    size = -(-len(items) // count)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _wide(rows: pd.DataFrame, values: list[str], by_name: bool = False) -> pd.DataFrame:
    """One row per x; columns (split, value|smoothed), or (name, split) with by_name. A series not
    logged at an x is None there (shown as a dash), a logged NaN stays NaN."""
    rows = rows.drop_duplicates(["x", "name", "split"], keep="last")
    index = ["name", "split"] if by_name else ["split"]
    if by_name:
        wide = rows.pivot(index="x", columns=index, values="value")
    else:
        wide = rows.pivot(index="x", columns="split", values=values).swaplevel(axis=1)
    logged = rows.assign(_one=1.0).pivot(index="x", columns=index, values="_one").notna()
    wide = wide.astype(object)
    for column in wide.columns:
        key = column if by_name else column[0]
        wide[column] = wide[column].where(logged[key], None)
    return wide.sort_index()


def _series_table(key: str, title: str, x_axis: str, wide: pd.DataFrame, columns: list[tuple]) -> Table:
    labels = [Column(x_axis, "epoch")] + [Column(_label(c), "num") for c in columns]
    picked, note = _thin(wide)
    rows = [[x] + [picked.at[x, c] for c in columns] for x in picked.index]
    return table(key, title, labels, rows, note)


def _label(column: tuple) -> str:
    a, b = column
    return {"value": f"{a}", "smoothed": f"{a} smoothed"}.get(b, f"{a} {b}")


def _thin(wide: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if len(wide) <= MAX_ROWS:
        return wide, ""
    step = int(np.ceil(len(wide) / MAX_ROWS))
    keep = sorted(set(range(0, len(wide), step)) | {len(wide) - 1})
    return wide.iloc[keep], (f"{len(wide):,} rows logged: one row in every {step}, and the last, are shown.")
