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
    rounded = float(f"{value:.{digits}g}")
    if value != 0 and (abs(rounded) >= 10 ** 6 or abs(value) < 10 ** -3):
        return f"{value:.{digits - 1}e}"
    if abs(rounded) >= 10 ** digits:  # '1,130', not '1.13e+03': the same significant digits, in full
        return f"{rounded:,.0f}"
    return f"{value:.{digits}g}"


COMPARED_EXTRA_DECIMALS = 4  # at most this many decimals beyond `digits` significant digits of the largest


def fmt_compared(values, digits: int = 3) -> tuple[str, ...]:
    """Numbers compared in one sentence ("3.32 against 4.30"), each as a string, all with the same number
    of decimals: enough for `digits` significant digits of the largest in size and to show where any two
    that differ differ (0.4123 and 0.4127 differ in the 4th significant digit: 4 decimals) and to keep a
    value that is not zero from reading 0 (12.50 against 0.03), at most COMPARED_EXTRA_DECIMALS more;
    then the trailing zeros they all share are dropped ("0.8 against 0.9").
    Whole numbers given as int print as fmt_int does; None, NaN and inf as fmt_num does."""
    values = list(values)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return tuple(fmt_int(v) for v in values)
    finite = sorted({float(v) for v in values if v is not None and math.isfinite(float(v))})
    if not finite:
        return tuple(fmt_num(v, digits) for v in values)
    largest = max(abs(v) for v in finite)
    decimals = max(0, digits - 1 - math.floor(math.log10(largest))) if largest else 0
    most = decimals + COMPARED_EXTRA_DECIMALS
    # every gap between two values, and every value that is not zero, shows at least one digit
    shown = [b - a for a, b in zip(finite, finite[1:])] + [abs(v) for v in finite if v]
    if shown:
        decimals = min(most, max(decimals, -math.floor(math.log10(min(shown)))))
    while decimals < most and len({f"{v:.{decimals}f}" for v in finite}) < len(finite):
        decimals += 1
    while decimals > 0 and all(f"{v:.{decimals}f}".endswith("0") for v in finite):
        decimals -= 1
    return tuple(f"{float(v):.{decimals}f}" if v is not None and math.isfinite(float(v)) else fmt_num(v, digits)
                 for v in values)


def fmt_compared_values(values, *groups: tuple[str, ...]) -> dict[str, str]:
    """{name: text} of the values named in `groups`, each group's values printed together by fmt_compared
    (the same decimals): what a finding's wording prints for numbers it compares in one sentence. A name
    missing from `values` prints as None does ('–')."""
    out: dict[str, str] = {}
    for group in groups:
        out.update(zip(group, fmt_compared([values.get(name) for name in group])))
    return out


def fmt_smoothing(sigmas: dict[str, float], share: float, minimum: float, unit: str = "point") -> str:
    """How the curves were smoothed, as a phrase: `sigmas` is the kernel width in logged points per split
    ({"train": 16, "val": 0.8}; {} when no curve was smoothed), `share` and `minimum` the setting that gave
    them (sigma = share of the points, at least minimum), `unit` what one point is (epoch or step).
    'gaussian, centred, sigma 0.8 logged epochs (2 % of the logged epochs, at least 0.5); NaN and
    infinite values are left out of each average'."""
    def width(sigma: float, with_unit: bool) -> str:
        return fmt_num(sigma) + (f" logged {unit}" + ("" if sigma == 1 else "s") if with_unit else "")

    share_of = f"{fmt_num(100 * share)} % of"
    at_least = f"at least {fmt_num(minimum)}"
    widths = {split: width(sigma, False) for split, sigma in sigmas.items()}
    if len(set(widths.values())) > 1:
        named = [f"{width(sigmas[split], i == 0)} for {split}" for i, split in enumerate(widths)]
        said = f"sigma {join_and(named)} ({share_of} each split's logged {unit}s, {at_least})"
    elif sigmas:
        said = f"sigma {width(next(iter(sigmas.values())), True)} ({share_of} the logged {unit}s, {at_least})"
    else:
        said = f"sigma {share_of} the logged {unit}s, {at_least}"
    return f"gaussian, centred, {said}; NaN and infinite values are left out of each average"


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
