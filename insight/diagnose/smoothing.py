"""Gaussian smoothing of a curve, centred (no lag), over its finite points only; and how noisy a curve is.

A centred gaussian keeps the best epoch where it is (an EMA, TensorBoard's smoother, shifts minima
later by about 1/(1-weight) points). The width grows with the length of the curve so that a 20-epoch
run and a 600-epoch run are smoothed alike relative to their length. Points that are NaN or inf are
left out of the average and stay NaN in the result.
"""

from __future__ import annotations

import math

import numpy as np

from insight.formatting import fmt_smoothing

# The defaults of CurveThresholds.sigma_share and .min_sigma (--curve-threshold changes them):
SIGMA_SHARE = 0.02  # sigma = 2 % of the points: removes epoch-to-epoch jitter, keeps trends of 10 % of a run
MIN_SIGMA = 0.5  # below half a point the kernel is a no-op; at 0.5 each neighbour weighs 13.5 %
KERNEL_RADIUS = 3.0  # the kernel is cut at 3 sigma (99.7 % of its weight)


def sigma_for(n: int, share: float = SIGMA_SHARE, minimum: float = MIN_SIGMA) -> float:
    """The kernel width, in points, used for a curve of n points."""
    return max(minimum, share * n)


def describe(n: int | dict[str, int] | None = None, share: float = SIGMA_SHARE, minimum: float = MIN_SIGMA,
             unit: str = "point") -> str:
    """How the curves were smoothed, for the report, in words (formatting.fmt_smoothing); `n` is the number
    of points of the curve, or of each split's curve ({"train": 800, "val": 40}: the widths differ when the
    splits were logged apart); `unit` what one point is (the x axis: epoch or step)."""
    counts = n if isinstance(n, dict) else ({"": n} if n else {})
    sigmas = {split: sigma_for(k, share, minimum) for split, k in counts.items() if k}
    return fmt_smoothing(sigmas, share, minimum, unit)


def gaussian(values: np.ndarray, sigma: float | None = None) -> np.ndarray:
    """Weighted mean of each point's finite neighbours with gaussian weights (by index)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return v.copy()
    sigma = sigma_for(v.size) if sigma is None else sigma
    radius = max(1, int(math.ceil(KERNEL_RADIUS * sigma)))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    finite = np.isfinite(v)
    window = slice(radius, radius + v.size)  # the centred part of the full convolution
    weighted = np.convolve(np.where(finite, v, 0.0), kernel, mode="full")[window]
    weights = np.convolve(finite.astype(float), kernel, mode="full")[window]
    out = np.full(v.shape, np.nan)
    ok = finite & (weights > 0)
    out[ok] = weighted[ok] / weights[ok]
    return out


# -- noise --------------------------------------------------------------------------------------------------
QUARTILE_OF_ABS_NORMAL = 0.318639  # |x| of a standard normal x is below 0.3186 a quarter of the time
NEIGHBOUR_MEDIAN_SD = 1.139  # sd of (x - median of 4 neighbours) for independent normal noise of sd 1:
#                             sqrt(1 + 0.298), 0.298 being the variance of the median of four normals


def noise(values: np.ndarray) -> float:
    """The relative point-to-point noise of a curve: the robust standard deviation of its random part as a
    share of its level (0.05 = values scatter by about 5 % around the trend).

    Each point is compared with the median of its four neighbours (two either side: a Hampel filter
    window without the point itself). For a positive curve this is done on the log scale, where the
    residual is relative and an exponential fall is a straight line; otherwise the residual is divided
    by the neighbours' median. The neighbours' median follows a locally straight trend and ignores a lone
    spike nearby; the scale is read from the lower quartile of the residuals, which ignores the spikes
    themselves and the points next to them (up to three in four may be off), so a smooth curve with a
    few spikes still reads as smooth. sd = quartile / 0.3186 / 1.139 (the quartile of |normal noise|,
    and the residual's own spread for independent points). 0 for fewer than 5 finite points."""
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if y.size < 5:
        return 0.0
    positive = bool(np.all(y > 0))
    if positive:
        y = np.log(y)
    around = np.median(np.stack([y[:-4], y[1:-3], y[3:-1], y[4:]]), axis=0)
    residual = np.abs(y[2:-2] - around)
    if not positive:
        ok = around != 0
        if not ok.any():
            return 0.0
        residual = residual[ok] / np.abs(around[ok])
    return float(np.quantile(residual, 0.25) / QUARTILE_OF_ABS_NORMAL / NEIGHBOUR_MEDIAN_SD)


def smoothed_share(sigma: float) -> float:
    """How much of a curve's independent point-to-point noise is left after the gaussian smoother of this
    width: sqrt(sum w^2) / sum w over the kernel (1 for no smoothing, about 0.8 at sigma 0.5, about
    1 / sqrt(2 sqrt(pi) sigma) for wide kernels)."""
    radius = max(1, int(math.ceil(KERNEL_RADIUS * sigma)))
    w = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return float(math.sqrt(np.sum(w ** 2)) / np.sum(w))
