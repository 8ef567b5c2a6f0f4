"""What each CLI command does, once its options are parsed: read, build the Insight, write or print."""

from __future__ import annotations

import argparse
import sys

from insight.config import Config
from insight.errors import ExitCode
from insight.progress import progress_for


def _load_dataset(args: argparse.Namespace, config: Config):
    from insight.formats import load_dataset

    return load_dataset(args.dataset, config, progress_for(args.quiet))


def _load_run(path, config: Config):
    from insight.logs import load_run

    return load_run(path, config)


def scan(args: argparse.Namespace, config: Config) -> ExitCode:
    from insight.report.build import build_insight
    from insight.report.serialize import DATASET_KEYS, to_json
    from insight.report.text import dataset_text

    insight = build_insight(_load_dataset(args, config), None, config)
    sys.stdout.write(to_json(insight, DATASET_KEYS) if args.json else dataset_text(insight))
    return ExitCode.DONE


def curves(args: argparse.Namespace, config: Config) -> ExitCode:
    from insight.report.build import build_insight
    from insight.report.serialize import CURVES_KEYS, to_json
    from insight.report.text import curves_text

    insight = build_insight(None, _load_run(args.run, config), config)
    sys.stdout.write(to_json(insight, CURVES_KEYS) if args.json else curves_text(insight))
    return ExitCode.DONE


def report(args: argparse.Namespace, config: Config) -> ExitCode:
    from insight.report.build import build_insight
    from insight.report.write import prepare_out

    out = prepare_out(args.out)
    dataset = _load_dataset(args, config)
    run = _load_run(args.run, config) if args.run else None
    curves_error = None if args.run else "No training log was given (--run), so there is no curve diagnosis."
    insight = build_insight(dataset, run, config, curves_error=curves_error)
    written = render_and_write(insight, out)
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return ExitCode.DONE


def render_and_write(insight, out):
    """Render all three outputs in memory, then write them atomically."""
    from insight.report.html import render_html
    from insight.report.pdf import render_pdf
    from insight.report.serialize import to_json
    from insight.report.write import write_outputs

    html = render_html(insight)
    pdf = render_pdf(html, out)
    return write_outputs(out, {"insight.json": to_json(insight).encode(), "report.html": html.encode(),
                               "report.pdf": pdf})
