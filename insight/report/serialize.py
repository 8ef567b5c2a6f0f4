"""Insight -> insight.json: stable key order and float formatting, so reruns are byte-identical.

Dataclass fields become keys in declaration order (schema and version first); fields marked
chart-only are left out; floats keep 6 significant digits; NaN and infinity become null.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from insight.model.insight import Insight

FLOAT_DIGITS = 6
FIRST_KEYS = ("schema", "version")
# Parts of insight.json the `scan` and `curves` commands print on their own.
DATASET_KEYS = ("dataset", "representation", "boxes", "masks", "multilabel", "health")
CURVES_KEYS = ("curves", "curves_error")


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
    full = jsonable(insight)
    ordered = {k: full[k] for k in FIRST_KEYS}
    ordered.update({k: v for k, v in full.items() if k not in FIRST_KEYS})
    if keys is not None:
        ordered = {k: v for k, v in ordered.items() if k in FIRST_KEYS or k in keys}
    return ordered


def to_json(insight: Insight, keys: tuple[str, ...] | None = None) -> str:
    return json.dumps(insight_dict(insight, keys), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
