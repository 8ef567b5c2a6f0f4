"""What each CLI command does, once its options are parsed: read, build the Insight, write or print."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from insight import ci
from insight.config import Config
from insight.config_file import FROM_FLAGS, settings_text
from insight.errors import ExitCode, InsightError, UsageError
from insight.gate import Gate, fired, parse_fail_on, refuse_unreachable
from insight.model.insight import SCHEMA
from insight.progress import progress_for
from insight.report.renderer import Renderer
from insight.safe_input import MiB, load_json, read_text
from insight.storage import is_url


def _load_dataset(args: argparse.Namespace, config: Config, check_duplicates: bool):
    """Read the dataset; with `check_duplicates`, also read every image once for copies and leakage."""
    from insight.formats import load_dataset

    progress = progress_for(args.quiet)
    if is_url(args.dataset):
        return _load_remote_dataset(str(args.dataset), config, check_duplicates, progress)
    ds = load_dataset(args.dataset, config, progress)
    if check_duplicates:
        from insight.images.leakage import duplicate_findings

        ds = ds.with_health(duplicate_findings(ds, config, progress))
    return ds


def _load_remote_dataset(url: str, config: Config, check_duplicates: bool, progress):
    """A dataset in object storage, read from its local mirror (insight.storage); the Dataset names it
    by its URL once every file has been read."""
    from insight.formats import load_dataset
    from insight.storage import mirror_dataset, shown

    remote = mirror_dataset(url, progress)
    config = replace(config, remote=remote)
    with _named_by_url(remote):
        ds = load_dataset(Path(remote.local), config, progress)
        if check_duplicates:
            from insight.images.leakage import duplicate_findings

            ds = ds.with_health(duplicate_findings(ds, config, progress))
    return replace(ds, root=shown(url))


def _load_run(path, config: Config):
    from insight.logs import load_run

    if not is_url(path):
        return load_run(path, config)
    from insight.storage import mirror_run

    remote, local = mirror_run(str(path))
    with _named_by_url(remote):
        run = load_run(local, config)
    return replace(run, source=remote.shown(run.source), notes=tuple(remote.shown(n) for n in run.notes))


@contextmanager
def _named_by_url(remote):
    """Errors raised meanwhile name the store's URL, not the mirror's folder."""
    try:
        yield
    except InsightError as exc:
        exc.reason = remote.shown(exc.reason)
        exc.path = remote.shown(exc.path) if exc.path else exc.path
        exc.args = (exc._format(),)
        raise


def _load_runs(paths, config: Config):
    """The runs `--run` names (a list: the flag may be repeated, a local folder may hold several; a URL is
    one run), and notes on any left out of the comparison."""
    from insight.logs import MAX_RUNS, load_runs

    runs, notes = [], []
    for path in paths:
        if is_url(path):
            runs.append(_load_run(path, config))
            continue
        found, more = load_runs([path], config)
        runs += found
        notes += more
    if len(runs) > MAX_RUNS:
        notes.append(f"{len(runs)} runs were given; the first {MAX_RUNS} are compared")
    return runs[:MAX_RUNS], tuple(notes)


def scan(args: argparse.Namespace, config: Config) -> ExitCode:
    from insight.report.serialize import utf8_safe
    from insight.report.text import dataset_text

    gate = _gate(config, {"leakage": "add --duplicates",
                          "scenario": "scan reads no training log (use 'insight report --run LOGS')"},
                 dataset=True, duplicates=args.duplicates, run=False)
    targets = ci.targets(args)
    insight = scan_insight(args, config)
    text = insight.to_json() if args.json else dataset_text(insight) + settings_text(insight.settings)
    sys.stdout.write(utf8_safe(text))
    ci.write_files(ci.files(insight, gate, "scan", targets))
    return _gate_exit(insight, gate)


def scan_insight(args: argparse.Namespace, config: Config):
    """What `scan` prints: the dataset part of the Insight (its to_json() is `scan --json`)."""
    from insight.analysis import build_insight
    from insight.report.serialize import DATASET_KEYS

    dataset = _load_dataset(args, config, args.duplicates)
    return replace(build_insight(dataset, None, config), settings=config.settings, json_keys=DATASET_KEYS + SETTINGS)


def curves(args: argparse.Namespace, config: Config) -> ExitCode:
    from insight.report.serialize import utf8_safe
    from insight.report.text import curves_text

    hint = "curves reads no dataset (use 'insight report DATASET --run LOGS')"
    gate = _gate(config, dict.fromkeys(("serious", "mild", "leakage"), hint),
                 dataset=False, duplicates=False, run=True)
    targets = ci.targets(args)
    insight = curves_insight(args, config)
    text = insight.to_json() if args.json else curves_text(insight) + settings_text(insight.settings)
    sys.stdout.write(utf8_safe(text))
    ci.write_files(ci.files(insight, gate, "curves", targets))
    return _gate_exit(insight, gate)


def curves_insight(args: argparse.Namespace, config: Config):
    """What `curves` prints: the curves part of the Insight (its to_json() is `curves --json`)."""
    from insight.analysis import build_insight
    from insight.report.serialize import CURVES_KEYS

    runs, notes = _load_runs(args.run, config)
    insight = build_insight(None, runs, config, run_notes=notes)
    return replace(insight, settings=config.settings, json_keys=CURVES_KEYS + SETTINGS)


def report(args: argparse.Namespace, config: Config) -> ExitCode:
    from insight.report.write import prepare_out

    gate = _gate(config, {"leakage": "drop --no-duplicates", "scenario": "add --run LOGS"},
                 dataset=True, duplicates=not args.no_duplicates, run=args.run is not None)
    if not config.no_pdf:
        from insight.report.pdf_check import check_pdf

        check_pdf()  # before any work: no Pango here is one line saying to use --no-pdf
    baseline = read_baseline(args.baseline) if args.baseline else None
    if getattr(args, "history", None) is not None and not Path(args.history).is_dir():
        raise UsageError("--history needs a folder of earlier insight.json files", args.history)
    targets = ci.targets(args, tuple(Path(args.out) / name for name in REPORT_FILES))
    out = prepare_out(args.out)
    with Renderer.start(enabled=config.workers != 1, pdf=not config.no_pdf) as renderer:
        return _report(args, config, gate, baseline, out, renderer, targets)


def _report(args, config: Config, gate, baseline, out: Path, renderer, targets) -> ExitCode:
    insight = report_insight(args, config, baseline, renderer)
    written = render_and_write(insight, out, renderer, ci.files(insight, gate, "report", targets),
                               pdf=not config.no_pdf)
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return _gate_exit(insight, gate)


def report_insight(args: argparse.Namespace, config: Config, baseline: dict | None = None,
                   renderer: Renderer | None = None):
    """Everything `report` writes, as the Insight; a `renderer` started beforehand draws the class
    counts while the rest is computed."""
    from insight.analysis import build_insight, represent

    dataset = _load_dataset(args, config, not args.no_duplicates)
    if renderer is not None:
        renderer.warm()
    representation = represent(dataset, config)
    if renderer is not None:
        renderer.begin(representation, dataset.task)  # it draws from the class counts while the rest is computed
    runs, notes = _load_runs(args.run, config) if args.run else (None, ())
    curves_error = None if args.run else "No training log was given (--run), so there is no curve diagnosis."
    insight = build_insight(dataset, runs, config, curves_error=curves_error, representation=representation,
                            run_notes=notes)
    insight = replace(insight, settings=config.settings)
    if baseline is not None:
        insight = with_changes(insight, baseline, args.baseline)
    if getattr(args, "history", None) is not None:
        insight = with_history(insight, args.history)
    return insight


def schema(markdown: bool = False) -> ExitCode:
    """Print insight.json's JSON Schema (or its keys as markdown tables)."""
    from insight.schema import schema_markdown, schema_text

    sys.stdout.write(schema_markdown() if markdown else schema_text())
    return ExitCode.DONE


def _gate(config: Config, hints: dict[str, str], **computes) -> Gate:
    """The --fail-on gate (from the flag or the settings file), refused when a level cannot fire here;
    the refusal names the settings file the levels came from."""
    gate = parse_fail_on(config.fail_on)
    try:
        refuse_unreachable(gate, hints, **computes)
    except UsageError as exc:
        source = next((s.source for s in config.settings if s.name == "fail-on"), FROM_FLAGS)
        if source == FROM_FLAGS:
            raise
        raise UsageError(f"{exc.reason} (fail-on is set in {source})") from None
    return gate


def _gate_exit(insight, gate) -> ExitCode:
    reasons = fired(insight, gate)
    if reasons:
        print("insight: --fail-on: " + "; ".join(reasons), file=sys.stderr)
        return ExitCode.FINDINGS
    return ExitCode.DONE


REPORT_FILES = ("report.pdf", "report.html", "insight.json")
SETTINGS = ("settings",)  # insight.json's key that scan --json and curves --json print too
BASELINE_LIMIT = 256 * MiB  # an insight.json of 10,000 classes is ~10 MiB


def read_baseline(path: Path) -> dict:
    """A previous insight.json (a regular file, of at most BASELINE_LIMIT bytes), of this schema or the
    previous one (brought to this one's key names); one of another schema is refused with the reason."""
    if not Path(path).exists():
        raise UsageError("no such baseline file (expected a previous insight.json)", path)
    try:
        doc = load_json(read_text(Path(path), BASELINE_LIMIT, UsageError), path, UsageError)
    except UsageError as exc:
        raise UsageError(f"baseline is not a readable insight.json: {exc.reason}", path) from None
    from insight.diagnose.changes import PREVIOUS_SCHEMA, baseline_problem, upgrade

    if not isinstance(doc, dict) or "schema" not in doc:
        raise UsageError("baseline is not an insight.json (it has no 'schema' key); "
                         "pass the insight.json of a previous report", path)
    if doc["schema"] not in (SCHEMA, PREVIOUS_SCHEMA):
        raise UsageError(f"baseline has schema {doc['schema']!r}, this version reads {SCHEMA!r} and "
                         f"{PREVIOUS_SCHEMA!r}; write a new baseline with this version", path)
    doc = upgrade(doc)
    problem = baseline_problem(doc)
    if problem:
        raise UsageError(f"baseline cannot be compared: {problem} (was the file edited by hand?)", path)
    return doc


def with_history(insight, folder: Path):
    """The trends of --history DIR's earlier reports and this one (diagnose.history)."""
    from insight.diagnose.history import trends
    from insight.history_files import read_history
    from insight.report.serialize import insight_dict

    nights, notes = read_history(folder)
    return replace(insight, history=trends(str(folder), nights, insight_dict(insight), notes))


def with_changes(insight, baseline: dict, path: Path):
    from insight.diagnose.changes import compare
    from insight.report.serialize import insight_dict

    return replace(insight, changes=compare(baseline, insight_dict(insight), str(path)))


def render_and_write(insight, out, renderer: Renderer | None = None, extra: dict[Path, bytes] | None = None,
                     pdf: bool = True):
    """Render all three outputs in memory, then write them atomically, with the `extra` files (--junit,
    --summary) in the same set. insight.json is renamed into place last: the file a nightly job diffs or
    reads as the next --baseline never runs ahead of its report. Without `pdf` (--no-pdf), a report.pdf
    left in OUT by an earlier run is removed with the same lock held, so the folder never holds a PDF
    of another run."""
    from insight.report.write import write_outputs

    html, pdf_bytes = (renderer or Renderer()).render(insight, out, pdf=pdf)
    ci.make_folders(extra or {})
    files = {"report.pdf": pdf_bytes} if pdf else {}
    files.update({"report.html": html.encode(), **(extra or {}), "insight.json": insight.to_json().encode()})
    return write_outputs(out, files, remove=() if pdf else ("report.pdf",))
