"""How sure a reader is that an input is its own: shared by dataset formats and log readers.

A reader's `detect(path)` returns a `Detection`; the registry picks the most confident one and, when
none is sure enough, lists every reader's reason.
"""

from __future__ import annotations

from dataclasses import dataclass

SURE = 0.9  # a layout that can only be this format
LIKELY = 0.6  # the layout fits, but another format could read it too
UNSURE = 0.3  # a weak sign; used only when nothing better fits


@dataclass(frozen=True)
class Detection:
    confidence: float  # 0 when the input is not this format
    reason: str  # why it fits, or why not

    @classmethod
    def no(cls, reason: str) -> "Detection":
        return cls(0.0, reason)
