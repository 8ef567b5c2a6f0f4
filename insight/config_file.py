"""Settings kept beside the dataset: an `insight.toml`, or the `[tool.insight]` table of a `pyproject.toml`.

Where insight looks, in this order; the first file found is used and the others are not read:
1. the dataset's folder (`report`, `scan`): insight.toml, then pyproject.toml if it has [tool.insight];
2. the working folder: the same two.
For each setting, a flag wins over the file, and the file over the default.

    # insight.toml; in a pyproject.toml the same keys go under [tool.insight] and [tool.insight.report]
    cutoff-factor = 0.6
    near-duplicate-bits = 8
    no-pdf = true                           # report: report.html and insight.json only (no Pango here)
    classes = "labelmap.txt"                # relative to this file's folder
    negative-tag = ["No Finding", "normal"]
    drift-threshold = 0.3                   # effect size from which train/val differ (warning)
    curve-threshold.gl_alpha = 3            # any name of --curve-threshold
    [report]                                # --fail-on is kept per command: scan cannot judge curves
    fail-on = ["serious", "error", "leakage", "scenario:B,C,D"]

Keys are the flags without their dashes. A key insight does not know, or a value of the wrong type, is
a one-line error naming the file and the key (exit 2). Every setting that differs from its default is
listed with where it came from (`Setting`: the report's insight.json `settings`, and scan/curves text).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insight.config import (DEFAULT_CUTOFF_FACTOR, DEFAULT_DRIFT_THRESHOLD, DEFAULT_NEAR_DUPLICATE_HAMMING,
                            DEFAULT_SERIOUS_FACTOR, DEFAULT_TIE_TOLERANCE, Config, Setting)
from insight.errors import UsageError

FILE_NAMES = ("insight.toml", "pyproject.toml")
TABLE = ("tool", "insight")  # where the settings are in a pyproject.toml
COMMANDS = ("report", "scan", "curves")
TASK_CHOICES = ("classification", "multilabel", "detection", "segmentation")
FROM_FLAGS = "command line"
FILE_LIMIT = 1 << 20  # bytes; a settings file is a few hundred
DATASET, CURVES = ("report", "scan"), ("report", "curves")  # the commands that read a dataset, a log
HASH_BITS = 64


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return value


def fraction(value: Any) -> float:
    """A factor in (0, 1] (--cutoff-factor, --serious-factor)."""
    if not 0 < _number(value) <= 1:
        raise ValueError(f"expected a number in (0, 1], got {value!r}")
    return float(value)


def _whole(low: int, high: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            raise ValueError(f"expected a whole number from {low}{f' to {high}' if high is not None else ' up'}, "
                             f"got {value!r}")
        return value
    return check


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _task(value: Any) -> str:
    if value not in TASK_CHOICES:
        raise ValueError(f"expected one of {', '.join(TASK_CHOICES)}, got {value!r}")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    """A string or a list of strings."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise ValueError(f"expected a string or a list of strings, got {value!r}")
    return tuple(items)


@dataclass(frozen=True)
class Option:
    """A setting the file may hold: its key (the flag without dashes), where the flag puts it (argparse
    dest), the Config field it sets, its default, its check and the commands that use it."""

    key: str
    dest: str
    field: str
    default: Any
    check: Callable[[Any], Any]
    commands: tuple[str, ...] = DATASET


OPTIONS = (
    Option("cutoff-factor", "cutoff_factor", "cutoff_factor", DEFAULT_CUTOFF_FACTOR, fraction),
    Option("serious-factor", "serious_factor", "serious_factor", DEFAULT_SERIOUS_FACTOR, fraction),
    Option("near-duplicate-bits", "near_duplicate_bits", "near_duplicate_hamming", DEFAULT_NEAR_DUPLICATE_HAMMING,
           _whole(0, HASH_BITS)),
    Option("format", "format", "format", None, _text),
    Option("task", "task", "task", None, _task),
    Option("classes", "classes_file", "classes_file", None, _text),
    Option("ignore-index", "ignore_index", "ignore_index", Config.ignore_index, _whole(0)),
    Option("negative-tag", "negative_tag", "negative_tag", Config.negative_tag, _texts),
    Option("no-pdf", "no_pdf", "no_pdf", False, _flag, commands=("report",)),
    Option("follow-outside", "follow_outside", "follow_outside", Config.follow_outside, _flag),
    Option("drift-threshold", "drift_threshold", "drift_threshold", DEFAULT_DRIFT_THRESHOLD, fraction),
    Option("tie-tolerance", "tie_tolerance", "tie_tolerance", DEFAULT_TIE_TOLERANCE, fraction, CURVES),
)
# Keys a settings file inside the dataset's own folder may not set: a dataset from elsewhere would then
# choose what outside it insight reads.
NOT_FROM_THE_DATASET = frozenset({"follow-outside"})
BY_KEY = {o.key: o for o in OPTIONS}
THRESHOLDS, FAIL_ON = "curve-threshold", "fail-on"


@dataclass(frozen=True)
class SettingsFile:
    """What one file sets, checked: option values by key, curve thresholds by name, fail-on by command."""

    source: str  # how the settings list names the file
    values: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    fail_on: dict[str, str] = field(default_factory=dict)


def find_file(dataset: Path | None, cwd: Path | None = None) -> Path | None:
    """The settings file to use: the first of FILE_NAMES in the dataset's folder, then in the working
    folder, that holds insight settings (a pyproject.toml without [tool.insight] is passed over)."""
    folders = [Path(cwd) if cwd else Path()]
    if dataset and Path(dataset).exists():
        folders.insert(0, Path(dataset) if Path(dataset).is_dir() else Path(dataset).parent)
    for folder in dict.fromkeys(folders):
        for name in FILE_NAMES:
            path = folder / name
            if path.is_file() and (name != "pyproject.toml" or _table(_load(path), path) is not None):
                return path
    return None


def _load(path: Path) -> dict:
    from insight.safe_input import read_text

    try:
        return tomllib.loads(read_text(path, FILE_LIMIT, UsageError))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"not valid TOML ({exc})", path) from None
    except RecursionError:
        raise UsageError("not valid TOML (nested too deeply)", path) from None


def _table(doc: dict, path: Path) -> dict | None:
    """The insight settings of a parsed file: a pyproject.toml's [tool.insight] (None without one),
    an insight.toml's top level."""
    if path.name != "pyproject.toml":
        return doc
    table = doc.get(TABLE[0], {}).get(TABLE[1]) if isinstance(doc.get(TABLE[0]), dict) else None
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"{'.'.join(TABLE)} must be a table, got {table!r}", path)
    return table


def read_file(path: Path) -> SettingsFile:
    """The checked settings of one file; UsageError naming the file and the key for anything wrong."""
    table = _table(_load(path), path) or {}
    prefix = "tool.insight." if path.name == "pyproject.toml" else ""
    source = f"{path} [tool.insight]" if prefix else str(path)
    values, thresholds, fail_on = {}, {}, {}
    for key, value in table.items():
        where = prefix + key
        if key in BY_KEY:
            values[key] = _checked(BY_KEY[key], value, path, where)
        elif key == THRESHOLDS:
            thresholds = _thresholds(value, path, where)
        elif key in COMMANDS:
            fail_on[key] = _command_table(value, path, where)
        else:
            raise UsageError(f"{where}: {_unknown(key)}", path)
    return SettingsFile(source, values, thresholds, fail_on)


def _unknown(key: str) -> str:
    if key == FAIL_ON:
        return "fail-on is set per command: put it in a [report], [scan] or [curves] table " \
               "([tool.insight.report] in a pyproject.toml)"
    known = [*BY_KEY, THRESHOLDS, *COMMANDS]
    hint = f"; did you mean {key.replace('_', '-')!r}?" if key.replace("_", "-") in known else ""
    return f"unknown key {key!r}{hint} (known keys: {', '.join(known)})"


def _checked(option: Option, value: Any, path: Path, where: str) -> Any:
    try:
        checked = option.check(value)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}", path) from None
    if option.key == "classes":
        return path.parent / checked  # relative to the file, wherever insight runs
    return checked


def _thresholds(value: Any, path: Path, where: str) -> dict[str, float]:
    from insight.diagnose.curve_rules import CurveThresholds

    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a table of NAME = number, got {value!r}", path)
    checked = {}
    for name, number in value.items():
        try:
            _number(number)
            checked[name] = float(getattr(CurveThresholds().override({name: number}), name))
        except ValueError as exc:
            raise UsageError(f"{where}.{name}: {exc}", path) from None
    return checked


def _command_table(value: Any, path: Path, where: str) -> str:
    from insight.gate import parse_fail_on

    if not isinstance(value, dict) or set(value) - {FAIL_ON}:
        extra = sorted(set(value) - {FAIL_ON}) if isinstance(value, dict) else [value]
        raise UsageError(f"{where}: a command's table holds only fail-on, got {', '.join(map(repr, extra))}", path)
    if FAIL_ON not in value:
        return None
    try:
        text = ",".join(_texts(value[FAIL_ON]))
        parse_fail_on(text)
    except (ValueError, UsageError) as exc:
        reason = exc.reason if isinstance(exc, UsageError) else str(exc)
        raise UsageError(f"{where}.{FAIL_ON}: {reason.removeprefix('--fail-on: ')}", path) from None
    return text


def resolve(args, command: str, cwd: Path | None = None) -> tuple[dict[str, Any], tuple[Setting, ...]]:
    """The Config values `command` runs with, each from its flag, else the settings file, else its
    default; and every setting that differs from its default, with where it came from."""
    path = find_file(getattr(args, "dataset", None), cwd)
    found = read_file(path) if path else SettingsFile("")
    _refuse_from_dataset(found, path, getattr(args, "dataset", None))
    values, settings = {}, []
    for option in OPTIONS:
        value, source = option.default, None
        if command in option.commands:
            chosen, source = _choose(getattr(args, option.dest, None), found.values.get(option.key), found.source)
            value = chosen if source else option.default
        values[option.field] = tuple(value) if isinstance(value, list) else value
        if source and values[option.field] != option.default:
            settings.append(Setting(option.key, _shown(value), source))
    values["curve_thresholds"], changed = _resolve_thresholds(args, command, found)
    settings += changed
    values["fail_on"], source = _choose(getattr(args, "fail_on", None), found.fail_on.get(command), found.source)
    if source:
        settings.append(Setting(FAIL_ON, values["fail_on"], source))
    return values, tuple(settings)


def _refuse_from_dataset(found: SettingsFile, path: Path | None, dataset: Path | None) -> None:
    if path is None or dataset is None or not (set(found.values) & NOT_FROM_THE_DATASET):
        return
    folder = Path(dataset) if Path(dataset).is_dir() else Path(dataset).parent
    if path.parent.resolve() == folder.resolve():
        key = sorted(set(found.values) & NOT_FROM_THE_DATASET)[0]
        raise UsageError(f"{key}: not taken from a settings file inside the dataset (the dataset would choose "
                         f"what outside it is read); pass --{key} or set it in the working folder's settings", path)


def _choose(flag: Any, in_file: Any, file_source: str) -> tuple[Any, str | None]:
    if flag is not None:
        return flag, FROM_FLAGS
    if in_file is not None:
        return in_file, file_source
    return None, None


def _shown(value: Any) -> Any:
    """A setting's value as insight.json holds it: a path as text, several values as a list."""
    if isinstance(value, Path):
        return str(value)
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _resolve_thresholds(args, command: str, found: SettingsFile):
    """(name, value) pairs for Config.curve_thresholds, the file's overridden by the flags' one by one;
    and a Setting per threshold that differs from its default."""
    if command not in CURVES:
        return (), []
    from insight.diagnose.curve_rules import CurveThresholds

    flags = dict(getattr(args, "curve_threshold", None) or ())
    merged = {**found.thresholds, **flags}
    defaults = CurveThresholds()
    changed = [Setting(f"{THRESHOLDS}.{name}", merged[name], FROM_FLAGS if name in flags else found.source)
               for name in CurveThresholds.names() if name in merged and merged[name] != getattr(defaults, name)]
    return tuple(merged.items()), changed


def settings_text(settings) -> str:
    """The settings that differ from the defaults, for the terminal (scan and curves without --json)."""
    if not settings:
        return ""
    lines = ["", "Settings changed from the defaults:"]
    lines += [f"  {s.name} = {value_text(s.value)} (from {s.source})" for s in settings]
    return "\n".join(lines) + "\n"


def value_text(value: Any) -> str:
    """A setting's value as the terminal and the report print it: numbers short, lists comma-separated,
    true/false as in the settings file."""
    if isinstance(value, (tuple, list)):
        return ", ".join(map(value_text, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)
