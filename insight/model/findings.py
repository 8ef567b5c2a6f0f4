"""Findings are data: a code, a severity, a count, the numbers behind them and example files.

Their wording lives in one template per code (templates/findings/<code>.txt), never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

MAX_EXAMPLES = 5


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

    def __post_init__(self) -> None:
        if not self.code.replace("_", "").isalnum():
            raise ValueError(f"finding code must be a snake_case word, got {self.code!r}")
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "examples", tuple(str(e) for e in self.examples)[:MAX_EXAMPLES])


def with_message(finding: Finding, message: str) -> "Finding":
    """The same finding with its wording attached (done once, when the report is built)."""
    from dataclasses import replace

    return replace(finding, message=message)
