"""Outputs for CI systems, beside the report: `--junit FILE` (JUnit XML, insight.ci.junit) and
`--summary FILE` (markdown for a job summary, insight.ci.summary). Both are built from the insight.json
dict and the --fail-on outcome, and written atomically: with `report` they join the report's set of
files (insight.report.write), with `scan` and `curves` they are written together by `write_files`.
"""

from __future__ import annotations

import os
from pathlib import Path

from insight.errors import UsageError

FLAGS = ("junit", "summary")  # the argparse dests, --junit and --summary


def targets(args, reserved: tuple[Path, ...] = ()) -> dict[str, Path]:
    """{flag: absolute path} of the CI files asked for, checked before any work is done: each must name
    a file, not a folder, and no two outputs may be the same file."""
    found = {flag: Path(os.path.abspath(getattr(args, flag))) for flag in FLAGS if getattr(args, flag, None)}
    taken = {Path(os.path.abspath(p)): "the report's own file" for p in reserved}
    for flag, path in found.items():
        if path.is_dir():
            raise UsageError(f"--{flag} must name a file, got a folder", path)
        if path in taken:
            raise UsageError(f"--{flag} names {taken[path]}; give each output its own file", path)
        taken[path] = f"the --{flag} file"
    return found


def files(insight, gate, command: str, paths: dict[str, Path]) -> dict[Path, bytes]:
    """{path: bytes} of the CI files in `paths`, built from `insight`'s JSON dict and `gate`'s outcome."""
    if not paths:
        return {}
    from insight.ci.junit import junit_xml
    from insight.ci.summary import summary_markdown
    from insight.gate import outcomes
    from insight.report.serialize import insight_dict

    doc, levels = insight_dict(insight), outcomes(insight, gate)
    build = {"junit": lambda: junit_xml(doc, levels),
             "summary": lambda: summary_markdown(doc, levels, command).encode()}
    return {path: build[flag]() for flag, path in paths.items()}


def make_folders(paths) -> None:
    """Create the folders the CI files go into (a CI job often names reports/junit.xml before reports/
    exists); an OSError is one line naming the folder."""
    for folder in dict.fromkeys(Path(p).parent for p in paths):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create the folder ({exc.strerror or exc})", folder) from None


def write_files(contents: dict[Path, bytes]) -> None:
    """Write {path: bytes} all or nothing: every file to a temporary name beside it, flushed to disk,
    then all renamed into place. A failure leaves the previous files as they were."""
    from insight.report.write import write_temp

    make_folders(contents)
    temps: dict[Path, Path] = {}
    path = None
    try:
        for path, data in contents.items():
            temps[path] = write_temp(path, data)
        for path in contents:
            os.replace(temps[path], path)
    except OSError as exc:
        raise UsageError(f"cannot write the file ({exc.strerror or exc})", path) from None
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
