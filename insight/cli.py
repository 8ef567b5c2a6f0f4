"""The `insight` command: report, scan, curves. `main(argv) -> int` returns a typed exit code.

Errors are one line on stderr; tracebacks only with --traceback. Heavy libraries (matplotlib,
WeasyPrint) are imported only by the commands that draw, so `insight --help` starts at once.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from insight import __version__, install_hint
from insight.config import (DEFAULT_CUTOFF_FACTOR, DEFAULT_DRIFT_THRESHOLD, DEFAULT_NEAR_DUPLICATE_HAMMING,
                            DEFAULT_SERIOUS_FACTOR, DEFAULT_TIE_TOLERANCE, Config)
from insight.errors import ExitCode, InsightError, UsageError, one_line
from insight.scheduler import on_cluster, scheduler_from_environment

EPILOG = ("Exit codes: 0 done, 1 a finding at a --fail-on level, 2 bad input or usage. Options can also be kept "
          "in an insight.toml, or [tool.insight] in a pyproject.toml, in the dataset's folder or the working "
          "folder (a flag wins over the file).")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _path(text: str) -> Path:
    """A path argument; an empty one (an unset variable in a cron script) would mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (is a variable in the script unset?)")
    return Path(text)


def _location(text: str) -> Path | str:
    """DATASET or --run: a path, or the URL of an object store as given (s3://..., gs://...: a Path
    would fold its //); a file:// URL is the local path it names."""
    from insight.storage import file_url_path, is_url

    if is_url(text):
        return text
    try:
        local = file_url_path(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return _path(text if local is None else local)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text}")
    return value


def _bits(text: str) -> int:
    """--near-duplicate-bits: checked as the settings file checks it."""
    from insight.config_file import BY_KEY

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    try:
        return BY_KEY["near-duplicate-bits"].check(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _curve_threshold(text: str) -> tuple[str, float]:
    """NAME=VALUE of --curve-threshold, checked against CurveThresholds: an unknown name or a value the
    threshold cannot take ends as one line (argparse turns ArgumentTypeError into a UsageError)."""
    from insight.diagnose.curve_rules import CurveThresholds

    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError(f"expected NAME=VALUE, got {text!r}; valid names: {', '.join(CurveThresholds.names())}")
        checked = CurveThresholds().override({name.strip(): value.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name.strip(), float(getattr(checked, name.strip()))


class _CurveThresholdAction(argparse.Action):
    """Repeatable --curve-threshold. Its help lists every threshold with its default, read from the
    CurveThresholds fields only when help is printed (that module imports numpy and pandas)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or ()), values])

    @property
    def help(self) -> str:
        from insight.diagnose.curve_rules import CurveThresholds

        return ("change a number the curve diagnosis decides by (repeatable; the reasons are in "
                f"insight/diagnose/curve_thresholds.py). NAME=DEFAULT: {CurveThresholds.defaults_text()}")

    @help.setter
    def help(self, _value) -> None:
        pass


def _curve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--curve-threshold", action=_CurveThresholdAction, type=_curve_threshold,
                   metavar="NAME=VALUE", default=None)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fail-on", metavar="LEVELS",
                   help="exit 1 (after writing everything) when a level fires: serious, mild, error, warning, "
                        "leakage, drift, unjudged, scenario:B,C,D (comma-separated)")
    p.add_argument("--junit", type=_path, metavar="FILE", help="also write the --fail-on levels and the "
                   "error-level findings as JUnit XML, for CI (written with the other outputs)")
    p.add_argument("--summary", type=_path, metavar="FILE", help="also write a markdown summary, e.g. to "
                   "$GITHUB_STEP_SUMMARY (replaces the file)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--traceback", action="store_true", help="show the traceback of an error")


def _dataset_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("dataset")
    g.add_argument("--format", help="dataset format, instead of detecting it (e.g. coco, yolo, class-folders)")
    g.add_argument("--task", choices=("classification", "multilabel", "detection", "segmentation"),
                   help="read the dataset as this task (e.g. segmentation for COCO polygons)")
    g.add_argument("--classes", dest="classes_file", type=_path, help="label map file naming the classes")
    g.add_argument("--ignore-index", type=int, help="mask value that is void (default 255)")
    g.add_argument("--negative-tag", action="append", default=None,
                   help="multi-label tag meaning 'no class' (default: 'No Finding'); repeatable")
    g.add_argument("--follow-outside", action="store_const", const=True, default=None,
                   help="also read image, label and mask files the dataset refers to outside its folder "
                        "(by default they are listed in the data-health section and not opened)")
    g.add_argument("--workers", type=int, default=None, help="processes for image and mask scans (default: all cores)")
    g.add_argument("--scheduler", metavar="ADDRESS", default=scheduler_from_environment(),
                   help="run the per-image work on this Dask cluster, e.g. tcp://HOST:8786 (default: "
                        f"$DASK_SCHEDULER_ADDRESS, else this machine; needs {install_hint('dask')})")
    g.add_argument("--near-duplicate-bits", type=_bits, metavar="BITS",
                   help="perceptual hashes at most BITS of 64 apart are near copies "
                        f"(default {DEFAULT_NEAR_DUPLICATE_HAMMING})")
    g.add_argument("--cutoff-factor", type=_fraction,
                   help=f"cutoff = ceil(F * labels / classes) (default {DEFAULT_CUTOFF_FACTOR})")
    g.add_argument("--serious-factor", type=_fraction,
                   help=f"below F * cutoff a class is seriously under-represented (default {DEFAULT_SERIOUS_FACTOR})")
    g.add_argument("--drift-threshold", type=_fraction, metavar="E",
                   help="train and val differ in a class's box sizes, shapes, counts, mask areas or image sizes "
                        f"when the effect size (KS D or JS distance) reaches E: a warning, an error at 2E "
                        f"(default {DEFAULT_DRIFT_THRESHOLD})")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run-id", help="which run to read when the log folder holds several (MLflow run id or name, "
                                    "a run folder's name or path under it, a log file's name); without it, the runs "
                                    "of such a folder are compared; refused on a log that is one run")
    p.add_argument("--tie-tolerance", type=_fraction, metavar="F",
                   help="comparing runs, best values within F of each other (relative) tie "
                        f"(default {DEFAULT_TIE_TOLERANCE}, i.e. 0.5 %%)")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="insight", description="What is wrong with a computer-vision training set and "
                  "training run, and what to do next.", epilog=EPILOG)
    top.add_argument("--version", action="version", version=f"insight {__version__}")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    report = sub.add_parser("report", help="write report.html, report.pdf and insight.json", epilog=EPILOG,
                            description="Write report.html, report.pdf (unless --no-pdf) and insight.json into "
                                        "OUT, all or none.")
    report.add_argument("dataset", type=_location, help="dataset folder (or s3://, gs://, ... URL)")
    report.add_argument("--run", type=_location, action="append",
                        help="training log file or folder (or s3://, gs://, ... URL); repeat it, or name a folder "
                             "holding several runs, to compare runs (which to keep, and why)")
    report.add_argument("--out", type=_path, default=Path("reports"), help="output folder (default: reports)")
    report.add_argument("--no-duplicates", action="store_true",
                        help="skip the duplicate and leakage check (it reads every image once)")
    report.add_argument("--baseline", type=_path, metavar="PREVIOUS/insight.json",
                        help="compare with a previous report and add a 'since last report' section")
    pdf = report.add_mutually_exclusive_group()
    pdf.add_argument("--no-pdf", dest="no_pdf", action="store_const", const=True, default=None,
                     help="write report.html and insight.json only (for a machine without the Pango library)")
    pdf.add_argument("--pdf", dest="no_pdf", action="store_const", const=False,
                     help="write report.pdf too, when the settings file says no-pdf (the default)")
    report.add_argument("--history", type=_path, metavar="DIR",
                        help="a folder of earlier insight.json files (DIR/*.json, DIR/*/insight.json): add a page "
                             "of trends night by night")
    _dataset_options(report)
    _run_options(report)
    _curve_options(report)
    _common(report)

    scan = sub.add_parser("scan", help="print the dataset part", epilog=EPILOG)
    scan.add_argument("dataset", type=_location, help="dataset folder (or s3://, gs://, ... URL)")
    scan.add_argument("--json", action="store_true", help="print insight.json's dataset part")
    scan.add_argument("--duplicates", action="store_true",
                      help="also check for duplicate images and train/val leakage (reads every image)")
    _dataset_options(scan)
    _common(scan)

    curves = sub.add_parser("curves", help="print the training-curves part", epilog=EPILOG)
    curves.add_argument("run", type=_location, nargs="+",
                        help="training log file or folder (or s3://, gs://, ... URL); several, or a folder holding "
                             "several runs, are compared")
    curves.add_argument("--json", action="store_true", help="print insight.json's curves part")
    _run_options(curves)
    _curve_options(curves)
    _common(curves)

    schema = sub.add_parser("schema", help="print the JSON Schema of insight.json (draft 2020-12)",
                            description="Print the JSON Schema that insight.json, scan --json and curves "
                                        "--json follow: every key, with its unit.")
    schema.add_argument("--markdown", action="store_true", help="print the keys as markdown tables instead")
    return top


def config_from(args: argparse.Namespace) -> Config:
    """The options of `args`, each from its flag, else the settings file (insight.config_file), else
    its default."""
    from insight.config_file import resolve

    values, settings = resolve(args, args.command)
    return Config(**values, settings=settings, run_id=getattr(args, "run_id", None),
                  workers=getattr(args, "workers", None), scheduler=getattr(args, "scheduler", None))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    show_traceback = "--traceback" in argv
    try:
        args = parser().parse_args(argv)
        return int(_dispatch(args))
    except InsightError as exc:
        print(f"insight: error: {exc}", file=sys.stderr)
        if show_traceback:
            traceback.print_exc()
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("insight: interrupted; no report was written over the last one", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, details behind --traceback
        print(f"insight: internal error: {type(exc).__name__}: {one_line(str(exc))} "
              "(please report it; --traceback shows where)", file=sys.stderr)
        if show_traceback:
            traceback.print_exc()
        return int(ExitCode.BAD_INPUT)


def _dispatch(args: argparse.Namespace) -> ExitCode:
    from insight import commands
    from insight.allocator import keep_freed_memory

    keep_freed_memory()

    if args.command == "schema":
        return commands.schema(args.markdown)
    with on_cluster(config_from(args)) as config:
        return {"report": commands.report, "scan": commands.scan, "curves": commands.curves}[args.command](
            args, config)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
