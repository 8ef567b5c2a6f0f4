"""Split drift: is the validation split like the training split? Per class and property, train vs the
held-out split (val, else test), a two-sample test with an effect size, worst first.

Properties: box area (% of the image) and aspect ratio w/h per box, boxes per image (of the class, in
the images that contain it; of any class in every image for "all"), mask area (% of the image, per image
containing the class), image width and height (per image). Continuous values get the two-sample
Kolmogorov-Smirnov test (effect size: D); binned counts (boxes per image, in the bins of §3.2) the
chi-square test of homogeneity (effect size: Jensen-Shannon distance, base 2). Both effect sizes run
from 0 (the same) to 1 (nothing in common).

Numbers (our choices, each named below): the p-values of all tests are adjusted together with
Benjamini-Hochberg and a difference counts when q < ALPHA; a comparison whose effective size
n m / (n + m) is below MIN_EFFECTIVE_N gets no verdict ("too few to judge"). Severity of a difference
by its effect size e against the threshold t (--drift-threshold, default 0.2): e >= 2t error, e >= t
warning, e >= t/2 info, below that it counts as the same.

The tests are written in numpy and the standard library (scipy is not a dependency): KS's p-value comes
from the asymptotic Kolmogorov distribution Q(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2) at
lambda = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) D (Stephens' correction, Numerical Recipes' kstwo), fair
where ne >= 30; chi-square's from its survival function in closed form for whole-number df.
Pure functions of a Dataset's tables; never opens a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from insight.model import Dataset, Finding
from insight.model.insight import Bin, Histogram, chart_only
from insight.stats.boxes import (AREA_RANGES, ASPECT_RANGES, PER_IMAGE_RANGES, area_counts, aspect_counts,
                                 per_image_counts)
from insight.stats.masks import AREA_RANGES as MASK_RANGES, area_bin, area_per_image_class

DEFAULT_DRIFT_THRESHOLD = 0.2  # KS D or JS distance from which a difference is a warning (our choice)
ALPHA = 0.05  # Benjamini-Hochberg false discovery rate over all the tests of a report
MIN_EFFECTIVE_N = 30  # n m / (n + m) below this: too few to judge (our choice)
KS_TERMS = 100  # terms of the Kolmogorov series; for lambda >= 0.2 the rest is below 1e-30
SIZE_BINS = 8  # bins of the image width and height histograms drawn beside the test
SHOWN_IN_FINDING = 5

PROPERTIES = {  # property -> (words, test)
    "box_area": ("box area (% of the image)", "ks"),
    "aspect_ratio": ("box aspect ratio (w/h)", "ks"),
    "boxes_per_image": ("boxes per image", "chi2"),
    "mask_area": ("mask area (% of the image)", "ks"),
    "image_width": ("image width (px)", "ks"),
    "image_height": ("image height (px)", "ks"),
}
TOO_FEW, SAME, DIFFERS = "too few to judge", "same", "differs"
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2, None: 3}


@dataclass(frozen=True)
class DriftTest:
    """One class and property compared between the reference split (train) and the other.
    class_name: None for all classes (image sizes: all images). test: ks | chi2. effect: KS D or JS
    distance. p_value/q_value: None when too few to judge. verdict: differs | same | too few to judge;
    severity: info | warning | error for a difference, else None. reference/other: the two
    histograms drawn side by side (report only)."""

    class_name: str | None
    property: str
    test: str
    n_reference: int
    n_other: int
    n_effective: float
    statistic: float
    effect: float
    p_value: float | None
    q_value: float | None
    verdict: str
    severity: str | None
    reference: Histogram | None = chart_only()
    other: Histogram | None = chart_only()

    @property
    def effect_measure(self) -> str:
        return "KS D" if self.test == "ks" else "JS distance"


@dataclass(frozen=True)
class SplitDrift:
    """insight.json `split_drift`: the two splits compared, the numbers the verdicts used, every
    comparison worst first, and the finding (None when nothing differs)."""

    reference: str
    other: str
    threshold: float
    alpha: float
    min_effective_n: int
    p_value_method: str
    tests: tuple[DriftTest, ...]
    finding: Finding | None = None

    @property
    def differing(self) -> tuple[DriftTest, ...]:
        return tuple(t for t in self.tests if t.verdict == DIFFERS)

    @property
    def too_few(self) -> int:
        return sum(t.verdict == TOO_FEW for t in self.tests)


@dataclass(frozen=True)
class Sample:
    """The values of one class and property in the two splits, before testing. Continuous values
    (test ks) are 1-d arrays; binned ones (chi2) are counts over `bins`."""

    class_name: str | None
    property: str
    reference: np.ndarray
    other: np.ndarray


# --- the tests ----------------------------------------------------------------------------------

def ks_statistic(a, b) -> float:
    """Two-sample Kolmogorov-Smirnov D = sup |F_a - F_b|; 0.0 when either sample is empty. Both
    samples sorted, then merged by a stable sort (two sorted runs: linear), and |F_a - F_b| taken at
    the last of every run of equal values (searching every value in both samples took 3x as long)."""
    a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    n, m = a.size, b.size
    if n == 0 or m == 0:
        return 0.0
    both = np.concatenate([a, b])
    order = np.argsort(both, kind="stable")
    merged = both[order]
    last = np.flatnonzero(np.append(merged[1:] != merged[:-1], True))  # the last of each run of ties
    count_a = np.cumsum(order < n)[last]  # values of a at or below merged[last]
    return float(np.max(np.abs(count_a / n - (last + 1 - count_a) / m)))


def effective_n(n: int, m: int) -> float:
    """n m / (n + m); 0 when either is empty."""
    return n * m / (n + m) if n and m else 0.0


def kolmogorov_sf(lam: float) -> float:
    """P(K > lam) for the Kolmogorov distribution (the limit of sqrt(n) D_n)."""
    if lam < 0.2:  # the series converges slowly there, and the probability is 1 within 1e-12
        return 1.0
    j = np.arange(1, KS_TERMS + 1)
    total = float((2.0 * (-1.0) ** (j - 1) * np.exp(-2.0 * j * j * lam * lam)).sum())
    return min(1.0, max(0.0, total))


def ks_test(a, b) -> tuple[float, float]:
    """(D, asymptotic p-value)."""
    d, ne = ks_statistic(a, b), effective_n(len(a), len(b))
    if ne == 0:
        return d, 1.0
    root = math.sqrt(ne)
    return d, kolmogorov_sf((root + 0.12 + 0.11 / root) * d)


def chi2_sf(x: float, df: int) -> float:
    """P(X > x) for a chi-square variable with whole-number df >= 1, in closed form."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if x <= 0:
        return 1.0
    half = x / 2.0
    if df % 2 == 0:
        return min(1.0, sum(math.exp(i * math.log(half) - half - math.lgamma(i + 1)) for i in range(df // 2)))
    odd = sum(math.exp((i - 0.5) * math.log(half) - half - math.lgamma(i + 0.5)) for i in range(1, (df + 1) // 2))
    return min(1.0, math.erfc(math.sqrt(half)) + odd)


def chi2_homogeneity(a, b) -> tuple[float, int, float]:
    """(statistic, df, p-value) of two count vectors over the same bins; bins empty in both are
    dropped; fewer than two bins left, or an empty side: (0, 0, 1)."""
    table = np.vstack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    return stat, table.shape[1] - 1, chi2_sf(stat, table.shape[1] - 1)


def js_distance(a, b) -> float:
    """Jensen-Shannon distance, base 2, of two histograms' shares (0 the same, 1 no bin in common)."""
    p, q = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if p.sum() == 0 or q.sum() == 0:
        return 0.0
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    return math.sqrt(max(0.0, 0.5 * _kl(p, m) + 0.5 * _kl(q, m)))


def _kl(p: np.ndarray, m: np.ndarray) -> float:
    here = p > 0
    return float((p[here] * np.log2(p[here] / m[here])).sum())


def benjamini_hochberg(p_values) -> np.ndarray:
    """Adjusted p-values: q_(i) = min over j >= i of p_(j) m / j (p sorted ascending), at most 1."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    q = np.empty(p.size)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def severity(effect: float, threshold: float) -> str | None:
    """The band of a significant difference's effect size (module notes)."""
    if effect >= 2 * threshold:
        return "error"
    if effect >= threshold:
        return "warning"
    return "info" if effect >= threshold / 2 else None


# --- from a dataset's tables to samples -----------------------------------------------------------

def held_out(splits) -> str | None:
    """The split compared with train: val, else test, else None."""
    return next((s for s in ("val", "test") if s in splits), None)


def samples(ds: Dataset, reference: str, other: str) -> list[Sample]:
    out = []
    if ds.task == "detection":
        out += _box_samples(ds, reference, other)
    if ds.task == "segmentation":
        out += _mask_samples(ds, reference, other)
    for column in ("width", "height"):
        values = [ds.images.loc[ds.images["split"] == s, column].to_numpy(dtype=float) for s in (reference, other)]
        values = [v[np.isfinite(v) & (v > 0)] for v in values]
        if values[0].size or values[1].size:
            out.append(Sample(None, f"image_{column}", *values))
    return out


def _box_samples(ds: Dataset, reference: str, other: str) -> list[Sample]:
    """Per side (reference, other), the box rows sorted by class once; each class is then a slice."""
    is_box = (ds.labels["kind"] == "box").to_numpy()
    image_split = ds.images["split"].to_numpy()
    image = ds.label_image_rows()[is_box].astype(np.int64)
    split = ds.label_codes("split")[is_box]  # codes: comparing ints, not strings, on every box
    area = ds.labels["area_pct"].to_numpy(dtype=float)[is_box]
    w, h = (ds.labels[c].to_numpy(dtype=float)[is_box] for c in ("w", "h"))
    aspect = np.where((w > 0) & (h > 0), w / np.where(h > 0, h, 1.0), np.nan)
    cls = ds.label_codes("class")[is_box]
    sides = []
    for s in (reference, other):
        on = split == ds.splits.index(s)
        order = np.argsort(cls[on], kind="stable")
        bounds = np.searchsorted(cls[on][order], np.arange(len(ds.classes) + 1))
        every = np.bincount(image[on], minlength=len(image_split))[image_split == s]
        sides.append((area[on][order], aspect[on][order], image[on][order], bounds, every))
    out = [Sample(None, "box_area", *(_finite(a) for a, *_ in sides)),
           Sample(None, "aspect_ratio", *(_finite(r) for _, r, *_ in sides)),
           Sample(None, "boxes_per_image", *(np.array(per_image_counts(e.astype(float))) for *_, e in sides))]
    for k, name in enumerate(ds.classes):
        parts = [(a[b[k]:b[k + 1]], r[b[k]:b[k + 1]], i[b[k]:b[k + 1]]) for a, r, i, b, _ in sides]
        if not any(len(p[0]) for p in parts):
            continue
        out.append(Sample(name, "box_area", *(_finite(p[0]) for p in parts)))
        out.append(Sample(name, "aspect_ratio", *(_finite(p[1]) for p in parts)))
        per = [np.unique(p[2], return_counts=True)[1].astype(float) for p in parts]
        out.append(Sample(name, "boxes_per_image", *(np.array(per_image_counts(c)) for c in per)))
    return out


def _mask_samples(ds: Dataset, reference: str, other: str) -> list[Sample]:
    image, cls, area = area_per_image_class(ds)
    split = ds.images["split"].to_numpy()[image] if image.size else np.zeros(0, object)
    out = []
    for k, name in enumerate(ds.classes):
        here = (cls == k) & (area > 0)
        if here.any():
            out.append(Sample(name, "mask_area", *(_finite(area[here & (split == s)]) for s in (reference, other))))
    return out


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


# --- testing every sample ------------------------------------------------------------------------

def split_drift(ds: Dataset, threshold: float = DEFAULT_DRIFT_THRESHOLD) -> SplitDrift | None:
    """Train against val (else test); None when the dataset has no such pair of splits."""
    other = held_out(ds.splits)
    if "train" not in ds.splits or other is None:
        return None
    return compare_samples(samples(ds, "train", other), "train", other, threshold)


def compare_samples(found: list[Sample], reference: str, other: str,
                    threshold: float = DEFAULT_DRIFT_THRESHOLD) -> SplitDrift:
    """Every sample tested, p-values adjusted together (those with enough values), worst first."""
    raw = [_raw_test(s) for s in found]
    judged = [i for i, r in enumerate(raw) if r["n_effective"] >= MIN_EFFECTIVE_N]
    q = benjamini_hochberg([raw[i]["p_value"] for i in judged])
    q_of = dict(zip(judged, q))
    tests = [_verdict(s, r, q_of.get(i), threshold) for i, (s, r) in enumerate(zip(found, raw))]
    tests.sort(key=worst_first)
    result = SplitDrift(reference, other, threshold, ALPHA, MIN_EFFECTIVE_N,
                        p_value_method({PROPERTIES[s.property][1] for s in found}), tuple(tests))
    return replace(result, finding=drift_finding(result))


def p_value_method(kinds: set[str]) -> str:
    """How the p-values were computed, naming only the tests that ran ("ks", "chi2")."""
    ways = [w for kind, w in (("ks", "asymptotic Kolmogorov distribution (KS)"),
                              ("chi2", "chi-square survival function")) if kind in kinds]
    return f"{' and '.join(ways) or 'no test'}, computed with numpy; Benjamini-Hochberg adjusted"


def worst_first(test: DriftTest) -> tuple:
    return (test.verdict == TOO_FEW, SEVERITY_RANK[test.severity], -test.effect, test.class_name or "",
            test.property)


def _raw_test(sample: Sample) -> dict:
    kind = PROPERTIES[sample.property][1]
    if kind == "ks":
        n, m = len(sample.reference), len(sample.other)
        d, p = ks_test(sample.reference, sample.other)
        return {"test": kind, "n": n, "m": m, "n_effective": effective_n(n, m), "statistic": d, "effect": d,
                "p_value": p}
    n, m = int(sample.reference.sum()), int(sample.other.sum())
    stat, _df, p = chi2_homogeneity(sample.reference, sample.other)
    return {"test": kind, "n": n, "m": m, "n_effective": effective_n(n, m), "statistic": stat,
            "effect": js_distance(sample.reference, sample.other), "p_value": p}


def _verdict(sample: Sample, raw: dict, q: float | None, threshold: float) -> DriftTest:
    if q is None:
        verdict, band, p = TOO_FEW, None, None
    else:
        band = severity(raw["effect"], threshold) if q < ALPHA else None
        verdict, p = (DIFFERS if band else SAME), raw["p_value"]
    reference, other = histograms(sample)
    return DriftTest(sample.class_name, sample.property, raw["test"], raw["n"], raw["m"], raw["n_effective"],
                     raw["statistic"], raw["effect"], p, None if q is None else float(q), verdict, band,
                     reference, other)


def histograms(sample: Sample) -> tuple[Histogram, Histogram]:
    """The two histograms drawn beside a comparison, in the bins the data statistics use."""
    prop, a, b = sample.property, sample.reference, sample.other
    if prop == "boxes_per_image":
        return Histogram(PER_IMAGE_RANGES, _ints(a)), Histogram(PER_IMAGE_RANGES, _ints(b))
    if prop == "box_area":
        return Histogram(AREA_RANGES, area_counts(a)), Histogram(AREA_RANGES, area_counts(b))
    if prop == "aspect_ratio":
        return Histogram(ASPECT_RANGES, aspect_counts(a)), Histogram(ASPECT_RANGES, aspect_counts(b))
    if prop == "mask_area":
        return (Histogram(MASK_RANGES, _ints(np.bincount(area_bin(a), minlength=len(MASK_RANGES)))),
                Histogram(MASK_RANGES, _ints(np.bincount(area_bin(b), minlength=len(MASK_RANGES)))))
    both = np.concatenate([a, b])
    edges = np.unique(np.histogram_bin_edges(both, bins=SIZE_BINS)) if both.size else np.array([0.0, 1.0])
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1])
    last = edges.size - 2  # numpy's last bin is closed on both ends
    ranges = tuple(Bin(f"{edges[i]:.0f}–{edges[i + 1]:.0f}", float(edges[i]), float(edges[i + 1]),
                       "both" if i == last else "left") for i in range(edges.size - 1))
    return (Histogram(ranges, _ints(np.histogram(a, edges)[0])), Histogram(ranges, _ints(np.histogram(b, edges)[0])))


def _ints(values) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def drift_finding(drift: SplitDrift) -> Finding | None:
    """split_drift: the comparisons that differ, at the worst one's severity; None when none does."""
    differing = drift.differing
    if not differing:
        return None
    shown = [{"class": t.class_name, "property": PROPERTIES[t.property][0], "effect": t.effect,
              "measure": t.effect_measure, "severity": t.severity} for t in differing[:SHOWN_IN_FINDING]]
    return Finding("split_drift", differing[0].severity, len(differing),
                   values={"pairs": shown, "reference": drift.reference, "other": drift.other,
                           "threshold": drift.threshold, "too_few": drift.too_few,
                           "warnings": sum(t.severity in ("warning", "error") for t in differing)})
