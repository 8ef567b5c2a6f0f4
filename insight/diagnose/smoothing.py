"""Gaussian smoothing of a curve, centred (no lag), over its finite points only.

A centred gaussian keeps the best epoch where it is (an EMA, TensorBoard's smoother, shifts minima
later by about 1/(1-weight) points). The width grows with the length of the curve so that a 20-epoch
run and a 600-epoch run are smoothed alike relative to their length. Points that are NaN or inf are
left out of the average and stay NaN in the result.
"""

from __future__ import annotations

import math

import numpy as np

# The defaults of CurveThresholds.sigma_share and .min_sigma (--curve-threshold changes them):
SIGMA_SHARE = 0.02  # sigma = 2 % of the points: removes epoch-to-epoch jitter, keeps trends of 10 % of a run
MIN_SIGMA = 0.5  # below half a point the kernel is a no-op; at 0.5 each neighbour weighs 13.5 %
KERNEL_RADIUS = 3.0  # the kernel is cut at 3 sigma (99.7 % of its weight)


def sigma_for(n: int, share: float = SIGMA_SHARE, minimum: float = MIN_SIGMA) -> float:
    """The kernel width, in points, used for a curve of n points."""
    return max(minimum, share * n)


def describe(n: int | None = None, share: float = SIGMA_SHARE, minimum: float = MIN_SIGMA) -> str:
    """How the curves were smoothed, for the report."""
    width = "" if n is None else f" (sigma {sigma_for(n, share, minimum):.3g} points here)"
    return (f"gaussian, centred, sigma = {100 * share:g}% of the points (at least {minimum:g}){width}; "
            "NaN/inf points are left out")


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
