"""The Python API: the three commands as functions that return the `Insight` the command writes.

    import insight
    found = insight.scan("data/pets")                                # `insight scan --json`'s object
    full = insight.report("data/pets", run="runs/exp1", out="reports")  # and report.pdf/.html/insight.json
    run = insight.curves("runs/exp1")                                 # `insight curves --json`'s object
    full.to_json(); full.save("elsewhere"); full                      # a notebook shows the report

Each call goes through the command line's own parser and settings (an insight.toml or
[tool.insight] beside the dataset or in the working folder, then the keyword arguments, as flags
would be), so it runs with the same defaults and checks and returns what the command would write:
`report` checks for duplicates and leakage unless `duplicates=False`, as `insight report` does;
`scan` only with `duplicates=True`, as `insight scan --duplicates`. Bad input raises the command's
one-line error (an InsightError). `executor=` runs the per-image work on any
concurrent.futures.Executor (a Dask client's `get_executor()`, a process pool); `scheduler=` opens a
Dask cluster by its address as --scheduler does.

Keyword options are the flags' names with underscores: format, task, classes, ignore_index,
negative_tag (a list), workers, scheduler, near_duplicate_bits, cutoff_factor, serious_factor,
run_id, curve_threshold (a {name: value} dict), baseline.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import replace
from os import PathLike
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from insight.model.insight import Insight

Path_ = str | PathLike


def scan(dataset: Path_, *, duplicates: bool = False, executor: Executor | None = None, progress: bool = False,
         **options: Any) -> Insight:
    """The dataset part, as `insight scan DATASET --json` prints it (`.to_json()`)."""
    from insight.commands import scan_insight

    argv = ["scan", _text(dataset), *(["--duplicates"] if duplicates else []), *_flags(options, progress)]
    return _run(argv, executor, scan_insight)


def report(dataset: Path_, run: Path_ | None = None, out: Path_ | None = None, *, duplicates: bool = True,
           executor: Executor | None = None, progress: bool = False, **options: Any) -> Insight:
    """Everything `insight report` writes; with `out`, report.pdf, report.html and insight.json are
    written there too (all or nothing)."""
    from insight.commands import read_baseline, report_insight

    argv = ["report", _text(dataset), *(["--run", _text(run)] if run is not None else []),
            *([] if duplicates else ["--no-duplicates"]), *_flags(options, progress)]

    def build(args, config):
        baseline = read_baseline(args.baseline) if args.baseline else None
        return report_insight(args, config, baseline)

    insight = _run(argv, executor, build)
    if out is not None:
        insight.save(out)
    return insight


def curves(logs: Path_, *, progress: bool = False, **options: Any) -> Insight:
    """The training-curves part, as `insight curves LOGS --json` prints it (`.to_json()`)."""
    from insight.commands import curves_insight

    return _run(["curves", _text(logs), *_flags(options, progress)], None, curves_insight)


def _run(argv: list[str], executor: Executor | None, build) -> Insight:
    from insight.cli import config_from, parser
    from insight.scheduler import on_cluster

    args = parser().parse_args(argv)
    config = config_from(args)
    if executor is not None:
        config = replace(config, executor=executor)
    with on_cluster(config) as config:
        return build(args, config)



def _flags(options: dict[str, Any], progress: bool) -> list[str]:
    """Keyword options as the command line's flags: a list repeats its flag, a dict gives NAME=VALUE."""
    flags = [] if progress else ["--quiet"]
    for name, value in options.items():
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, dict):
            flags += [part for key, v in value.items() for part in (flag, f"{key}={v}")]
        elif isinstance(value, (list, tuple)):
            flags += [part for v in value for part in (flag, _text(v))]
        elif isinstance(value, bool):
            raise TypeError(f"{name}: a yes/no option is a keyword of its own (duplicates=, progress=)")
        else:
            flags += [flag, _text(value)]
    return flags


def _text(value: Any) -> str:
    from os import fspath

    return fspath(value) if isinstance(value, PathLike) else str(value)
