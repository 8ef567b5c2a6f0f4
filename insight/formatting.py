"""Number and text formatting shared by the wording of findings (insight/analysis/messages.py) and the
report (insight/report/filters.py): the Jinja filters templates use, as templates never compute."""

from __future__ import annotations

import math


def fmt_int(value) -> str:
    """1234567 -> '1,234,567'."""
    return "–" if value is None else f"{int(value):,}"


def fmt_pct(value, digits: int = 1) -> str:
    """A share 0..1 -> '12.3 %'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f} %"


def fmt_num(value, digits: int = 3) -> str:
    """A float with `digits` significant digits; inf and NaN spelled out."""
    if value is None:
        return "–"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) >= 10 ** 6 or abs(value) < 10 ** -3):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


def fmt_epoch(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:g}"


def plural(count, singular: str, plural_form: str | None = None) -> str:
    """'1 image', '2 images'."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{fmt_int(count)} {word}"


def join_and(items) -> str:
    items = [str(i) for i in items]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def fmt_cell(value, kind: str = "text") -> str:
    """A table cell in its column's format: int, pct, num, epoch or text. None is a dash."""
    if value is None:
        return "–"
    formats = {"int": fmt_int, "pct": fmt_pct, "num": fmt_num, "epoch": fmt_epoch}
    return formats[kind](value) if kind in formats else str(value)


FILTERS = {
    "int": fmt_int,
    "pct": fmt_pct,
    "num": fmt_num,
    "epoch": fmt_epoch,
    "plural": plural,
    "join_and": join_and,
    "cell": fmt_cell,
}
