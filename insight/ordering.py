"""Natural order of names: 'version_5' before 'version_10', 'AP-2' before 'AP-10'."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"([0-9]+)")


def natural_key(text: str) -> tuple:
    """A sort key in which runs of ASCII digits compare as numbers and the rest as text. Other digit
    characters ('²', Arabic-Indic digits) are text: int() of a superscript digit raises, and a name
    is not counted in them."""
    return tuple((0, int(part), "") if i % 2 else (1, 0, part) for i, part in enumerate(_DIGITS.split(text)))
