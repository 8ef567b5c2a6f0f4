"""Training-log readers: an explicit list, each saying how sure it is that a file or folder is its own.

Every reader module exposes:
    NAME: str                                  e.g. "ultralytics-csv"
    candidates(folder: Path) -> list[Path]     files (or run folders) under `folder` it could read
    detect(path: Path) -> Detection            confidence that `path` (a file or run folder) is its format
    read(path: Path, config: Config) -> Run
and, a reader of a store that holds several runs (MLflow), RUN_IDS = True: it picks one by `--run-id`.
`--run` may name a file or a folder; a folder is searched and the newest readable run is used, or the
one `--run-id` names (its folder's name or path under the folder, or a file's name beside the others).
`--run-id` on a log that is one run (a file, a TensorBoard run folder) is refused: it picks nothing there.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from insight.config import Config
from insight.errors import LogError, UsageError
from insight.detection import UNSURE, Detection
from insight.logs.reading import links_out
from insight.logs.table import same_values
from insight.model import Run
from insight.ordering import natural_key
from insight.safe_input import head_bytes, kind_of

READER_MODULES = ("ultralytics_csv", "lightning_csv", "generic_csv", "tensorboard", "mlflow",
                  "detectron2", "mmengine", "jsonl")


def readers() -> list[ModuleType]:
    found = []
    for name in READER_MODULES:
        try:
            found.append(__import__(f"insight.logs.{name}", fromlist=[name]))
        except ModuleNotFoundError as exc:  # a reader not written yet
            if exc.name != f"insight.logs.{name}":
                raise
    return found


def _is_blank(path: Path) -> bool:
    """Nothing in the file but white space (a log that was created and never written)."""
    head = head_bytes(path, (1 << 16) + 1)
    return len(head) <= 1 << 16 and not head.strip() and path.stat().st_size == len(head)


def detect(path: Path) -> tuple[ModuleType, Detection]:
    if Path(path).is_file() and _is_blank(Path(path)):
        raise LogError("the file is empty (expected a training log: CSV, JSON lines or TensorBoard events)", path)
    results = [(m, _safe_detect(m, path)) for m in readers()]
    module, best = max(results, key=lambda r: r[1].confidence)
    if best.confidence < UNSURE:
        tried = "; ".join(f"{m.NAME}: {d.reason}" for m, d in results)
        raise LogError(f"not a training log this tool reads (tried {tried})", path)
    return module, best


COPIED_WITHIN = 2.0  # seconds: runs whose files all changed within this span were copied or checked out
#                     together (a clone, an archive), so their times say nothing about which ran last


def find_runs(folder: Path) -> list[tuple[Path, ModuleType]]:
    """Every run under `folder` some reader claims, newest first: by modification time, or, when all of
    them changed within COPIED_WITHIN seconds (copied together), by the run number in their path
    (version_10 after version_5, exp12 after exp2), as the training tools number them.

    One run is often logged twice (Ultralytics writes results.csv and, below it, TensorBoard events):
    a candidate inside the run folder of one found by an earlier reader in READER_MODULES is the same
    run in another format and is left out. Files of one reader side by side in one folder (n_10.csv,
    n_100.csv) are separate runs; one of its files below another's folder is not (a run's own sub-logs).
    """
    seen: dict[Path, ModuleType] = {}
    for module in readers():
        for candidate in module.candidates(folder):
            if candidate in seen or any(_same_run(kept, candidate, reader is module) for kept, reader in seen.items()):
                continue
            if _safe_detect(module, candidate).confidence >= UNSURE:
                seen[candidate] = module
    return sorted(seen.items(), key=_newness(list(seen)), reverse=True)


def _newness(paths: list[Path]):
    times = [_mtime(p) for p in paths]
    copied = len(paths) > 1 and max(times) - min(times) <= COPIED_WITHIN
    if copied:
        return lambda item: natural_key(str(item[0]))
    return lambda item: (_mtime(item[0]), natural_key(str(item[0])))


def ordered_by(paths: list[Path]) -> str:
    """How find_runs ordered these runs, for the note that says which one was read."""
    times = [_mtime(p) for p in paths]
    if len(paths) > 1 and max(times) - min(times) <= COPIED_WITHIN:
        return "the highest run number (their files were all written within seconds, as a copy is)"
    return "the newest by modification time"


def _run_folder(path: Path) -> Path:
    return path.parent if path.is_file() else path


def _same_run(kept: Path, candidate: Path, same_reader: bool = False) -> bool:
    """`candidate` lies in `kept`'s run folder (or below it) while `kept`'s reader ranks first; for
    two files of the same reader, only below it (side by side they are two runs)."""
    home = _run_folder(kept)
    below = home in candidate.parents and _run_folder(candidate) != home
    return below if same_reader else (home == _run_folder(candidate) or home in candidate.parents)


def load_run(path: Path, config: Config = Config()) -> Run:
    """The run `path` names: a log file, a run folder a reader reads as a whole, or the newest run in a
    folder. Nothing outside `path` is opened: symlinks leading out of the folder are left out, with a note."""
    path = Path(path)
    if not path.exists():
        raise LogError("no such training log file or folder", path)
    if path.is_file():
        module, _ = detect(path)
        _refuse_run_id(module, path, config, "a log file")
        return module.read(path, config)
    if not path.is_dir():
        raise LogError(f"is {kind_of(path.stat().st_mode)}, not a training log file or folder", path)
    return _with_links_note(_load_folder(path, config), path)


def _with_links_note(run: Run, folder: Path) -> Run:
    outside = links_out(folder)
    if not outside:
        return run
    note = (f"symlinks that lead out of {folder} were not followed (name a file outside it with --run to "
            f"read it): {', '.join(outside)}")
    return Run(run.format, run.source, run.metrics, run.notes + (note,))


def _each_once(runs: list[Run], folder: Path) -> list[Run]:
    """A folder's runs, each once: a log holding the same values as one before it is that run written
    again (Keras's history.csv beside history.json), noted on the run kept instead of compared with it."""
    kept: list[Run] = []
    for run in runs:
        twin = next((i for i, k in enumerate(kept) if same_values(k.metrics, run.metrics)), None)
        if twin is None:
            kept.append(run)
            continue
        first = kept[twin]
        note = (f"{_relative(run.source, folder)} holds the same values as {_relative(first.source, folder)} "
                "(the same run written twice): read once")
        kept[twin] = Run(first.format, first.source, first.metrics, first.notes + (note,))
    return kept


def _relative(source: str, folder: Path) -> str:
    try:
        return str(Path(source).relative_to(folder))
    except ValueError:
        return source


MAX_RUNS = 8  # runs compared at most (one colour and line style each); the newest are kept, with a note


def load_runs(paths, config: Config = Config()) -> tuple[list[Run], tuple[str, ...]]:
    """Every run the `--run` paths name, in the order given, and notes on what was left out. A file is
    one run; a folder a reader reads as a whole (MLflow, TensorBoard) is one run, as is any folder when
    --run-id picks a run; any other folder holding several runs gives all of them, newest first. At most
    MAX_RUNS, the first found kept."""
    runs: list[Run] = []
    for path in map(Path, paths):
        if path.is_dir() and not config.run_id and not _whole_folder(path):
            found = find_runs(path)
            if len(found) > 1:
                runs += _each_once([_with_links_note(module.read(p, config), path) for p, module in found], path)
                continue
        runs.append(load_run(path, config))
    notes: tuple[str, ...] = ()
    if len(runs) > MAX_RUNS:
        left = [r.source for r in runs[MAX_RUNS:]]
        notes = (f"{len(runs)} runs were given; the first {MAX_RUNS} are compared, not: {', '.join(left[:10])}"
                 + (f" and {len(left) - 10} more" if len(left) > 10 else ""),)
    return runs[:MAX_RUNS], notes


def _whole_folder(path: Path) -> bool:
    """A reader claims the folder itself (an MLflow store, a TensorBoard run folder)."""
    try:
        detect(path)
    except LogError:
        return False
    return True


def _load_folder(path: Path, config: Config) -> Run:
    """A run folder some reader reads as a whole (MLflow, TensorBoard), else the newest run found in it;
    when neither can be read, the whole-folder reader's error is the one that names the problem."""
    failure = None
    try:
        module, _ = detect(path)
    except LogError:
        module = None
    if module is not None:
        _refuse_run_id(module, path, config, "a run folder read as a whole")
        try:
            return module.read(path, config)
        except LogError as exc:
            failure = exc
    runs = find_runs(path)
    if not runs and failure is not None:
        raise failure
    if not runs:
        raise LogError("no training log found in this folder (looked for results.csv, metrics.csv, "
                       "*.csv, events.out.tfevents.*, mlruns/, metrics.json, *.log.json, *.jsonl)", path)
    if config.run_id:
        return _read_named(runs, config, path)
    newest, module = runs[0]
    run = module.read(newest, config)
    return _with_others_note(run, runs, newest, path, ordered_by([p for p, _ in runs]))


def _with_others_note(run: Run, runs: list[tuple[Path, ModuleType]], read: Path, folder: Path, why: str) -> Run:
    others = [str(p.relative_to(folder)) for p, _ in runs if p != read]
    if not others:
        return run
    more = f" and {len(others) - 10} more" if len(others) > 10 else ""
    note = (f"{len(runs)} runs found under {folder}; read {read.relative_to(folder)}, "
            f"{why}; not read: {', '.join(others[:10])}{more}")
    return Run(run.format, run.source, run.metrics, run.notes + (note,))


def _refuse_run_id(module: ModuleType, path: Path, config: Config, what: str) -> None:
    """--run-id on a log that is one run picks nothing: refused, rather than read as if it had."""
    if config.run_id and not getattr(module, "RUN_IDS", False):
        raise UsageError(f"--run-id {config.run_id!r} picks one of several runs (a run folder's name in a folder "
                         f"of runs, or an MLflow run), but this is {what}, one {module.NAME} run; drop --run-id, "
                         "or name the folder that holds the runs", path)


def run_names(candidate: Path, folder: Path) -> set[str]:
    """What --run-id may call a run found under `folder`: its path under the folder, its run folder's
    path and name, or, for a file beside the other runs, its name with or without the suffix."""
    home = _run_folder(candidate)
    names = {candidate.relative_to(folder).as_posix()}
    if home == folder:
        return names | {candidate.name, candidate.stem}
    return names | {home.relative_to(folder).as_posix(), home.name}


def _read_named(runs: list[tuple[Path, ModuleType]], config: Config, folder: Path) -> Run:
    """The run under `folder` that --run-id names; else the one MLflow store holding a run of that id."""
    wanted = config.run_id.strip().rstrip("/")
    hits = [(p, None) for p, m in runs if not getattr(m, "RUN_IDS", False) and wanted in run_names(p, folder)]
    stores = [(p, m) for p, m in runs if getattr(m, "RUN_IDS", False)]
    if not hits and len(stores) == 1:  # an MLflow run id: the store says which of its runs, or why none
        hits = [(stores[0][0], stores[0][1].read(stores[0][0], config))]
    elif not hits:  # several stores: the ones that hold a run of that id, each read once
        hits = [(p, run) for p, m in stores if (run := _read_or_none(m, p, config))]
    if len(hits) != 1:
        listed = ", ".join(str(p.relative_to(folder)) for p, _ in (hits or runs)[:10])
        found = "no run" if not hits else f"{len(hits)} runs"
        raise LogError(f"{found} under this folder matches --run-id {config.run_id!r} (expected a run folder's "
                       f"name or path, or an MLflow run id; runs: {listed})", folder)
    chosen, run = hits[0]
    run = run or dict(runs)[chosen].read(chosen, config)
    return _with_others_note(run, runs, chosen, folder, "as asked with --run-id")


def _read_or_none(module: ModuleType, store: Path, config: Config) -> Run | None:
    try:
        return module.read(store, config)
    except LogError:
        return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _safe_detect(module: ModuleType, path: Path) -> Detection:
    try:
        return module.detect(path)
    except OSError as exc:
        return Detection.no(f"could not read ({exc.strerror or exc})")
