"""Curve D: the training loss does not decrease (flat, or no fall beyond its noise)."""

from __future__ import annotations

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_verdict import Judged, Verdict, below, finding
from insight.model.findings import Finding


def d_flat(j: Judged) -> Verdict:
    p = j.primary
    return Verdict("D", _flat(j), below(R.pct(p.fall), j.t.d_min_fall))


def d_flat_within_noise(j: Judged) -> Verdict | None:
    """D on a noisy curve (after the B rules, so a loss that swings or spikes is B): a least-squares line
    through the whole curve (log scale) falls by less than trend_z standard errors of its noise."""
    p, t = j.primary, j.t
    if p.noise <= 0:
        return None
    fall, z, _ = R.end_trend(p, t, p.n)
    return Verdict("D", _flat(j, within_noise=True, z=z, trend_z=t.trend_z), below(z, t.trend_z))


def _flat(j: Judged, within_noise: bool = False, **values) -> Finding:
    p = j.primary
    return finding("train_flat", "warning", j.axis, float(p.x[0]),
                   compared=(("start", "end"), ("change_pct", "jitter_pct")), split=j.primary_split,
                   start=p.early, end=p.end, fall_pct=100 * p.fall, threshold_pct=100 * j.t.d_min_fall,
                   rose=bool(p.fall < 0), change_pct=abs(100 * p.fall), jitter_pct=100 * p.noise,
                   noiseless=bool(p.noise == 0), within_noise=within_noise, **values)


