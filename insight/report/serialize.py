"""Insight -> insight.json: stable key order and float formatting, so reruns are byte-identical.

Dataclass fields become keys in declaration order (schema, insight_version, generated_at and report_id
first); fields marked chart-only are left out; floats keep 6 significant digits; NaN and infinity become
null. The keys and their units are in the JSON Schema insight/insight.schema.json (docs/json.md).

`report_id` is 16 hex digits of the SHA-256 of the document without `generated_at` and `report_id`
(compact JSON, keys sorted): the same inputs, settings, baseline and insight version give the same id,
whenever they are run; a change in any number the document holds gives another.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from insight.model.insight import Insight

FLOAT_DIGITS = 6
FIRST_KEYS = ("schema", "insight_version", "generated_at", "report_id")
UNHASHED = ("generated_at", "report_id")  # what report_id is not a hash of
REPORT_ID_DIGITS = 16
# Parts of insight.json the `scan` and `curves` commands print on their own.
DATASET_KEYS = ("dataset", "representation", "boxes", "masks", "multilabel", "health", "split_drift")
CURVES_KEYS = ("curves", "curves_error", "runs")
# Comparisons (issue 18): in insight.json only when computed, so older readers see the same keys as before.
WHEN_COMPUTED = ("split_drift", "runs", "history")


def utf8_safe(text: str) -> str:
    """A file name that is not UTF-8 reaches Python with lone surrogates (PEP 383); shown, its bad bytes
    become U+FFFD so the JSON, HTML and PDF can be written."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("json", True)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, str):
        return utf8_safe(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _float(float(obj))
    return obj


def _float(x: float) -> float | int | None:
    if not math.isfinite(x):
        return None
    rounded = float(f"{x:.{FLOAT_DIGITS}g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2 ** 53 else rounded


def insight_dict(insight: Insight, keys: tuple[str, ...] | None = None) -> dict:
    """The insight.json document (only `keys` besides FIRST_KEYS, when given), `report_id` filled in."""
    full = jsonable(insight)
    full["report_id"] = ""
    ordered = {k: full[k] for k in FIRST_KEYS}
    ordered.update({k: v for k, v in full.items() if k not in FIRST_KEYS and not (k in WHEN_COMPUTED and v is None)})
    if keys is not None:
        ordered = {k: v for k, v in ordered.items() if k in FIRST_KEYS or k in keys}
    ordered["report_id"] = report_id(ordered)
    return ordered


def report_id(doc: dict) -> str:
    """16 hex digits of the SHA-256 of `doc` without the keys in UNHASHED (compact, keys sorted)."""
    content = {k: v for k, v in doc.items() if k not in UNHASHED}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:REPORT_ID_DIGITS]


def to_json(insight: Insight, keys: tuple[str, ...] | None = None) -> str:
    return json.dumps(insight_dict(insight, keys), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
