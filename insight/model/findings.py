"""Findings are data: a code, a severity, a count, the numbers behind them and example files.

Their wording lives in one template per code (templates/findings/<code>.txt), never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

MAX_EXAMPLES = 5
EXAMPLE_CHARS = 640  # an example longer than this (a 4,000-character file name) is cut in the middle


def shown(text: str) -> str:
    """An example as a finding lists it: bytes that are not UTF-8 (a Latin-1 file name read with
    surrogate escapes) as U+FFFD, a very long one cut in the middle."""
    text = str(text)
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if len(text) > EXAMPLE_CHARS:
        keep = (EXAMPLE_CHARS - 30) // 2  # with the marker, at most EXAMPLE_CHARS: cut once only
        text = f"{text[:keep]}...{text[-keep:]} ({len(text):,} characters)"
    return text


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    count: int = 1
    values: dict[str, Any] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    epoch: float | None = None  # curve findings: where it shows
    message: str = ""  # filled from templates/findings/<code>.txt when the report is built
    # Pictures for the report (e.g. thumbnails as data: URIs by file); left out of insight.json.
    media: dict[str, str] = field(default_factory=dict, metadata={"json": False})
    # Values the wording compares in one sentence, as it prints them (the same decimals, made where the
    # values are, by insight.formatting.fmt_compared_values): the template's `s`; left out of insight.json.
    shown: dict[str, Any] = field(default_factory=dict, metadata={"json": False})

    def __post_init__(self) -> None:
        if not self.code.replace("_", "").isalnum():
            raise ValueError(f"finding code must be a snake_case word, got {self.code!r}")
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "examples", tuple(shown(e) for e in tuple(self.examples)[:MAX_EXAMPLES]))


def with_message(finding: Finding, message: str) -> "Finding":
    """The same finding with its wording attached (done once, when the report is built)."""
    from dataclasses import replace

    return replace(finding, message=message)
