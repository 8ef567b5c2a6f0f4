"""DeepQ's scenario A-D from the total losses: every rule is measured, the first that fires decides.

Rules, in this order (the first that fires decides; none: A):
  B  diverged_nonfinite   a loss ends NaN/inf (AUTOTRAINER nan_loss)
  B  diverged_rise        the loss ends above its start
  B  diverged_rebound     after falling, it climbed back over half its gain, or ends > 2x its best
  B  diverged_blowup      a blow-up took a quarter of the run or more to come back from, or never did
  D  train_flat           the loss does not fall
  B  unstable_oscillation AUTOTRAINER ol_judge on a per-epoch (or per-evaluation) curve
  B  unstable_spikes      spikes recur
  D  train_flat           (within noise) a line through the curve falls less than its noise explains
  C  overfit_val_rises    val ends (mean of its end window) above its smoothed best by Prechelt's GL
  C  overfit_never_back   val made no new best for longer than early stopping waits, train kept falling
  C  overfit_gap_widens   train falls beyond its noise, val much less: the gap widened by GL_alpha (aligned by epoch)
B and D read the training loss (the validation loss when no training loss is logged); C needs both.

Each rule returns a `Verdict` with a score: the share of what it needs that it reached (>= 1 fires;
for several conditions, the weakest). A rule of another scenario that reached `close_share` of its
threshold, or fired but comes later in the order, is the close one the report names."""


from __future__ import annotations

import numpy as np

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_diverge import (b_blowup, b_nonfinite, b_oscillation, b_rebound, b_rise,
                                            b_spikes, oscillation_pairs, spike_events, worst_blowup)
from insight.diagnose.curve_flat import d_flat, d_flat_within_noise
from insight.diagnose.curve_overfit import c_gap, c_never_back, c_val_rises, rising_components
from insight.diagnose.curve_trend import end_level, end_points
from insight.diagnose.curve_verdict import Judged, Verdict, finding
from insight.model.findings import Finding

__all__ = ["Judged", "Verdict", "decide", "close_to", "finding", "oscillation_pairs", "rising_components",
           "spike_events", "worst_blowup"]


def decide(j: Judged) -> tuple[str | None, Finding, list[Verdict]]:
    """The scenario letter, the finding of the rule that decided it (None: not enough to judge), and
    every rule's verdict."""
    missing = [s for s in ("train", "val") if s not in j.table.totals]
    if len(missing) == 2:
        return None, finding("missing_loss", "warning", j.axis, missing=missing), []
    blown = b_nonfinite(j)
    if blown:
        return "B", blown, []
    p = j.primary
    if p is None or p.n < j.t.min_points:
        return None, finding("insufficient_data", "warning", j.axis, points=p.n if p else 0,
                             min_points=j.t.min_points, split=j.primary_split), []
    verdicts = [v for rule in RULES for v in [rule(j)] if v is not None]
    chosen = next((v for v in verdicts if v.fired), None)
    if chosen is None:
        return "A", _a_converged(j), verdicts
    return chosen.scenario, chosen.finding, verdicts


def close_to(scenario: str, verdicts: list[Verdict], t: R.CurveThresholds) -> Verdict | None:
    """The rule of another scenario that came closest to firing (or fired, later in the order), when it
    reached close_share of its threshold."""
    others = [v for v in verdicts if v.scenario != scenario and v.score >= t.close_share]
    fired = [v for v in others if v.fired]
    if fired:
        return fired[0]
    return max(others, key=lambda v: v.score, default=None)


def _a_converged(j: Judged) -> Finding:
    v = j.val
    p = j.primary
    measured = j.table.totals.get("val")
    values = dict(train_fall_pct=100 * p.fall, has_val=v is not None,
                  levelled=not any(R.still_falling(q, j.t) for q in (j.train, v) if q is not None),
                  val_points=int(measured.finite.sum()) if measured is not None and v is None else 0)
    if v is not None:
        i = int(np.argmin(v.y))
        end = end_level(v.y, j.t)
        values.update(val_best=float(v.y[i]), val_best_x=float(v.x[i]), val_end=end,
                      window=end_points(v.n, j.t), smoothed_best=v.smooth_best,
                      gl=R.pct(100 * (end / v.smooth_best - 1)) if v.smooth_best > 0 else 0.0,
                      alpha=j.t.gl_alpha, threshold=R.gl_threshold(v, j.t, end_points(v.n, j.t)),
                      noise_pct=100 * v.noise)
    return finding("converged", "info", j.axis, values.get("val_best_x"), compared=(("val_end", "val_best"),),
                   **values)



RULES = (b_rise, b_rebound, b_blowup, d_flat, b_oscillation, b_spikes, d_flat_within_noise,
         c_val_rises, c_never_back, c_gap)
