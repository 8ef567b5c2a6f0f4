"""--history DIR: the earlier insight.json files a nightly job kept, read for the trends page.

What is read: every `*.json` file directly in DIR (e.g. `2026-12-01.json`) and every `insight.json` one
folder down (`2026-12-01/insight.json`), ordered by their names, digit runs as numbers (ISO dates sort
as they are). A night's label is the file's stem, or its folder's name for an insight.json. A file that
cannot be read, is not JSON, or is not an insight.json of this schema is left out with a note naming it;
it never stops the report. Only regular files of at most HISTORY_FILE_LIMIT bytes are opened.
"""

from __future__ import annotations

from pathlib import Path

from insight.diagnose.changes import baseline_problem
from insight.errors import InsightError, UsageError
from insight.model.insight import SCHEMA
from insight.ordering import natural_key
from insight.safe_input import MiB, load_json, read_text

HISTORY_FILE_LIMIT = 256 * MiB
MAX_NIGHTS = 400  # a year and more of nights; the oldest beyond it are left out, with a note


def history_files(folder: Path) -> list[Path]:
    found = [p for p in folder.glob("*.json") if p.is_file()]
    found += [p for p in folder.glob("*/insight.json") if p.is_file()]
    return sorted(found, key=lambda p: natural_key(_label(folder, p)))


def _label(folder: Path, path: Path) -> str:
    return path.parent.name if path.name == "insight.json" and path.parent != folder else path.stem


def read_history(folder: Path) -> tuple[list[tuple[str, str, dict]], list[str]]:
    """(label, path, document) per readable night, oldest first, and a note per file left out."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError("--history needs a folder of earlier insight.json files", folder)
    nights, notes = [], []
    for path in history_files(folder):
        doc, problem = _read(path)
        if problem:
            notes.append(f"{path}: left out of the trends: {problem}")
        else:
            nights.append((_label(folder, path), str(path), doc))
    if len(nights) > MAX_NIGHTS:
        notes.append(f"{len(nights)} nights found; the oldest {len(nights) - MAX_NIGHTS} are left out")
        nights = nights[-MAX_NIGHTS:]
    if not nights and not notes:
        notes.append(f"{folder}: no earlier insight.json files found (*.json, */insight.json)")
    return nights, notes


def _read(path: Path) -> tuple[dict | None, str | None]:
    try:
        doc = load_json(read_text(path, HISTORY_FILE_LIMIT, UsageError), path, UsageError)
    except InsightError as exc:
        return None, f"not readable JSON ({getattr(exc, 'reason', exc)})"
    except (OSError, ValueError) as exc:
        return None, f"not readable ({exc})"
    if not isinstance(doc, dict) or "schema" not in doc:
        return None, "not an insight.json (no 'schema' key)"
    if doc["schema"] != SCHEMA:
        return None, f"schema {doc['schema']!r}, this version reads {SCHEMA!r}"
    problem = baseline_problem(doc)
    return (None, problem) if problem else (doc, None)
