"""MLflow tracking stores, read with the standard library (no mlflow import).

    mlruns/                                  file store
        <experiment_id>/meta.yaml                name
        <experiment_id>/<run_id>/meta.yaml       run_id, status (3 = FINISHED, 4 = FAILED), start/end_time (ms)
        <experiment_id>/<run_id>/metrics/<name>  lines "<timestamp_ms> <value> <step>"; a name with / is a sub-folder
        <experiment_id>/<run_id>/tags/mlflow.runName
    mlflow.db                                SQLite store: tables runs, experiments, metrics
                                             (key, value, timestamp, step, is_nan; inf stored as +-1.797e308)

One run is read: `--run-id` (a run id, its first characters, or a run name), else the latest FINISHED run
that has metrics (by end time); a note says which run and why. Points logged all at the same step
(a common mistake: `log_metric(name, value)` without a step) are numbered in timestamp order, with a note.
Only the chosen run's points are read (from the SQLite store, selected in SQL). A store locked by a
running trainer is reported as locked after BUSY_TIMEOUT seconds; a meta.yaml is parsed with its nesting
and aliases bounded (insight/safe_input.py); a metric file's cut last line is left out with a note.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from insight.config import Config
from insight.errors import LogError
from insight.detection import SURE, Detection
from insight.logs.reading import axis, read_text, walk, whole_lines
from insight.logs.table import Rows, to_float
from insight.model import Run
from insight.safe_input import MiB, head_bytes, inside, load_yaml, read_text as safe_read_text

NAME = "mlflow"
RUN_IDS = True  # a store holds several runs: --run-id picks one (insight.logs)
FILE_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
SQL_INF = 1.7976931348623157e308  # MLflow's SQL stores write +-inf as +-max float
SQLITE_MAGIC = b"SQLite format 3\0"
BUSY_TIMEOUT = 2.0  # seconds to wait for a store a trainer is writing (it holds the lock for milliseconds)
YAML_LIMIT = MiB  # a meta.yaml is a few hundred bytes


@dataclass
class RunInfo:
    run_id: str
    name: str
    experiment: str
    status: str
    start: int | None
    end: int | None
    has_metrics: bool
    where: object = None  # the run's folder (file store) or its run_uuid (SQLite store)


def candidates(folder: Path) -> list[Path]:
    folder = Path(folder)
    stores = walk(folder, lambda d: d.name == "mlruns" and detect(d).confidence > 0, dirs=True)
    stores += walk(folder, lambda p: p.suffix == ".db" and detect(p).confidence > 0)
    if folder.is_dir() and folder.name == "mlruns" and detect(folder).confidence > 0:
        stores.insert(0, folder)
    return stores


def detect(path: Path) -> Detection:
    path = Path(path)
    if path.is_file():
        if _is_sqlite_store(path):
            return Detection(SURE, "SQLite file with MLflow's runs and metrics tables")
        return Detection.no("not an MLflow SQLite store")
    if not path.is_dir():
        return Detection.no("no such file or folder")
    if _is_run_dir(path) or _experiment_dirs(path) or _run_dirs(path):
        return Detection(SURE, "MLflow file store (meta.yaml with runs and metrics)")
    if (path / "mlflow.db").is_file() and _is_sqlite_store(path / "mlflow.db"):
        return Detection(SURE, "folder with an MLflow SQLite store (mlflow.db)")
    return Detection.no("no MLflow meta.yaml runs or mlflow.db here")


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    if path.is_dir() and not _is_run_dir(path) and (path / "mlflow.db").is_file():
        path = path / "mlflow.db"
    sqlite = path.is_file()
    runs = _sqlite_runs(path) if sqlite else _file_runs(path)
    chosen, why = _choose(runs, config.run_id, path)
    points, read_notes = _sqlite_points(path, chosen.where) if sqlite else _file_points(chosen.where)
    points, note = _number_steps(points)
    epochs = {step: value for key, _, value, step in points if key == "epoch"}
    rows = Rows()
    for key, _ts, value, step in points:
        rows.add(step, epochs.get(step), key, value)
    notes = [why] + read_notes + ([note] if note else [])
    return rows.run(NAME, path, notes)


def _choose(runs: list[RunInfo], wanted: str | None, path: Path) -> tuple[RunInfo, str]:
    if not runs:
        raise LogError("no MLflow runs in this store", path)
    label = {r.run_id: f"run {r.run_id[:8]} ('{r.name or 'unnamed'}', experiment '{r.experiment}')" for r in runs}
    if wanted:
        hits = [r for r in runs if r.run_id == wanted or r.name == wanted] or \
               [r for r in runs if r.run_id.startswith(wanted)]
        if len(hits) != 1:
            ids = ", ".join(f"{r.run_id[:8]} ({r.name})" for r in runs[:10])
            found = "no run" if not hits else f"{len(hits)} runs"
            raise LogError(f"{found} matches --run-id {wanted!r} (runs: {ids})", path)
        run = hits[0]
        return run, f"MLflow {label[run.run_id]} was read, as asked with --run-id ({run.status})"
    with_metrics = [r for r in runs if r.has_metrics]
    finished = [r for r in with_metrics if r.status == "FINISHED"]
    pool = finished or with_metrics
    if not pool:
        raise LogError(f"none of the {len(runs)} MLflow runs here has metrics", path)
    run = max(pool, key=lambda r: (r.end or r.start or 0, r.start or 0, r.run_id))
    others = [r for r in runs if r is not run]
    statuses = sorted({r.status for r in others})
    counts = ", ".join(f"{sum(r.status == s for r in others)} {s}" for s in statuses)
    without = sum(not r.has_metrics for r in others)
    when = _when(run.end or run.start)
    reason = "the latest FINISHED run with metrics" if finished else \
        f"the latest run with metrics; no run with metrics FINISHED (this one is {run.status})"
    text = f"MLflow {label[run.run_id]} was read: {reason}{when}"
    if others:
        text += f"; {len(others)} other run(s) in the store ({counts}; {without} without metrics); " \
                "choose one with --run-id"
    return run, text


def _when(ms: int | None) -> str:
    if not ms:
        return ""
    stamp = datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f" (ended {stamp})"


def _number_steps(points: list[tuple[str, int, float, int]]) -> tuple[list, str | None]:
    """Points of a metric all logged at one step are renumbered 0, 1, 2, ... by timestamp."""
    by_key: dict[str, list] = {}
    for point in points:
        by_key.setdefault(point[0], []).append(point)
    out, renumbered = [], []
    for key, series in by_key.items():
        if len(series) > 1 and len({p[3] for p in series}) == 1:
            series = sorted(series, key=lambda p: p[1] or 0)
            series = [(k, ts, v, i) for i, (k, ts, v, _) in enumerate(series)]
            renumbered.append(key)
        out.extend(series)
    note = None
    if renumbered:
        step = by_key[renumbered[0]][0][3]
        note = (f"every point of {', '.join(sorted(renumbered))} was logged at step {step}: the points were "
                "numbered 0, 1, 2, ... in the order of their timestamps")
    return out, note


# ---- file store -------------------------------------------------------------------------------------

def _file_runs(path: Path) -> list[RunInfo]:
    if _is_run_dir(path):
        runs = [_file_run(path, _experiment_name(path.parent))]
        return [r for r in runs if r is not None]
    experiments = [path] if _run_dirs(path) else _experiment_dirs(path)
    runs = []
    for experiment in experiments:
        name = _experiment_name(experiment)
        runs.extend(_file_run(run_dir, name) for run_dir in _run_dirs(experiment))
    return [r for r in runs if r is not None]


def _file_run(run_dir: Path, experiment: str) -> RunInfo | None:
    meta = _yaml(run_dir / "meta.yaml")
    if str(meta.get("lifecycle_stage", "active")) == "deleted":
        return None
    status = meta.get("status")
    status = FILE_STATUS.get(status, str(status)) if isinstance(status, int) else str(status or "UNKNOWN")
    name_file = run_dir / "tags" / "mlflow.runName"
    name = read_text(name_file).strip() if name_file.is_file() else str(meta.get("run_name") or "")
    metrics = run_dir / "metrics"
    has_metrics = metrics.is_dir() and bool(walk(metrics, lambda p: p.is_file() and p.stat().st_size > 0))
    return RunInfo(str(meta.get("run_id") or run_dir.name), name, experiment, status.upper(),
                   _time(meta.get("start_time")), _time(meta.get("end_time")), has_metrics, run_dir)


def _time(value: object) -> int | None:
    """A start/end time in ms as meta.yaml holds it; None when it is not a whole number."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _file_points(run_dir: Path) -> tuple[list[tuple[str, int, float, int]], list[str]]:
    """Every point of the run's metric files (metrics/<name>, a name with / in sub-folders), and notes."""
    points, notes, metrics = [], [], run_dir / "metrics"
    for file in walk(metrics, lambda p: p.is_file()) if metrics.is_dir() else []:
        text, cut = whole_lines(file, read_text(file))
        points.extend(_metric_lines(file, file.relative_to(metrics).as_posix(), text))
        notes.extend(f"metrics/{file.relative_to(metrics).as_posix()}: {n.split(': ', 1)[1]}" for n in cut)
    return points, notes


def _metric_lines(file: Path, key: str, text: str) -> list[tuple[str, int, float, int]]:
    points = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            timestamp, value = int(fields[0]), float(fields[1])
            step = int(fields[2]) if len(fields) > 2 else 0
        except (ValueError, IndexError):
            raise LogError(f"expected '<timestamp> <value> <step>', got {line.strip()[:60]!r}", file, number) from None
        points.append((key, timestamp, value, step))
    return points


def _yaml(file: Path) -> dict:
    data = load_yaml(safe_read_text(file, YAML_LIMIT, LogError), file, LogError)
    return data if isinstance(data, dict) else {}


def _experiment_name(folder: Path) -> str:
    meta = folder / "meta.yaml"
    return str(_yaml(meta).get("name") or folder.name) if meta.is_file() else folder.name


def _is_run_dir(folder: Path) -> bool:
    return (folder / "meta.yaml").is_file() and ((folder / "metrics").is_dir() or (folder / "tags").is_dir())


def _run_dirs(folder: Path) -> list[Path]:
    try:
        return sorted(d for d in folder.iterdir() if d.is_dir() and inside(folder, d) and _is_run_dir(d))
    except OSError:
        return []


def _experiment_dirs(folder: Path) -> list[Path]:
    try:
        return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".") and inside(folder, d)
                      and (d / "meta.yaml").is_file() and _run_dirs(d))
    except OSError:
        return []


# ---- SQLite store -----------------------------------------------------------------------------------

def _is_sqlite_store(path: Path) -> bool:
    """An SQLite file with MLflow's runs and metrics tables; a locked SQLite file counts (it is read
    only to say it is locked)."""
    if head_bytes(path, len(SQLITE_MAGIC)) != SQLITE_MAGIC:
        return False
    try:
        with closing(_connect(path)) as db:
            return _has_store_tables(db)
    except sqlite3.Error as exc:
        return _locked(exc)


def _has_store_tables(db: sqlite3.Connection) -> bool:
    return {"runs", "metrics"} <= {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)


def _locked(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _sql_error(exc: sqlite3.Error, path: Path) -> LogError:
    if _locked(exc):
        return LogError(f"the MLflow SQLite store is locked by another process (a training run writing to it?) "
                        f"and stayed locked for {BUSY_TIMEOUT:g} s; run again when it is free", path)
    return LogError(f"cannot read the MLflow SQLite store ({exc})", path)


def _sqlite_runs(path: Path) -> list[RunInfo]:
    not_a_store = LogError("not an MLflow SQLite store (expected tables runs and metrics)", path)
    if head_bytes(path, len(SQLITE_MAGIC)) != SQLITE_MAGIC:
        raise not_a_store
    try:
        with closing(_connect(path)) as db:
            if not _has_store_tables(db):
                raise not_a_store
            experiments = dict(db.execute("SELECT experiment_id, name FROM experiments"))
            with_metrics = {row[0] for row in db.execute("SELECT DISTINCT run_uuid FROM metrics")}
            runs = [RunInfo(str(run_id), name or "", str(experiments.get(exp, exp)), str(status or "UNKNOWN").upper(),
                            _time(start), _time(end), run_id in with_metrics, run_id)
                    for run_id, name, status, start, end, stage, exp in db.execute(
                        "SELECT run_uuid, name, status, start_time, end_time, lifecycle_stage, experiment_id FROM runs")
                    if stage != "deleted"]
    except sqlite3.Error as exc:
        raise _sql_error(exc, path) from None
    return runs


def _sqlite_points(path: Path, run_uuid: object) -> tuple[list[tuple[str, int, float, int]], list[str]]:
    """The chosen run's points, selected in SQL, and a note on rows that cannot be read as they are."""
    try:
        with closing(_connect(path)) as db:
            rows = db.execute("SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? "
                              "ORDER BY timestamp, step", (run_uuid,)).fetchall()
    except sqlite3.Error as exc:
        raise _sql_error(exc, path) from None
    points, no_time, no_key = [], 0, 0
    for key, value, timestamp, step, is_nan in rows:
        if key is None:
            no_key += 1
            continue
        no_time += timestamp is None
        step = 0 if step is None else int(axis(step, f"step of {key!r}", path, None))
        points.append((str(key), timestamp if isinstance(timestamp, int) else None, _sql_value(value, is_nan), step))
    notes = [f"{no_time} value(s) have no timestamp (NULL): they were read at their step"] if no_time else []
    notes += [f"{no_key} value(s) have no metric name (NULL key) and were not read"] if no_key else []
    return points, notes


def _sql_value(value: object, is_nan: object) -> object:
    """MLflow stores NaN as is_nan, +-inf as +-max float; anything not a number is returned as it is
    (the metrics table counts it as not numeric)."""
    if is_nan:
        return float("nan")
    number = to_float(value)
    if number is None:
        return value
    if abs(number) >= SQL_INF:
        return float("inf") if number > 0 else float("-inf")
    return number
