"""'Since last report': comparing two insight.json documents written by hand."""

from __future__ import annotations

from insight.diagnose.changes import compare


def _doc(classes, health=(), scenario=None, total=None):
    return {"schema": "insight/1",
            "representation": {"total": total, "classes": [
                {"name": n, "count": c, "share": s, "tier": t} for n, c, s, t in classes]},
            "health": [{"code": code, "severity": "error", "count": n} for code, n in health],
            "curves": {"scenario": scenario}}


def test_everything_that_moved():
    before = _doc([("dog", 100, 0.50, "well"), ("cat", 90, 0.45, "well"), ("owl", 10, 0.05, "serious")],
                  health=[("unreadable_image", 2), ("leakage_exact", 1)], scenario="A", total=200)
    after = _doc([("dog", 100, 0.495, "well"), ("cat", 60, 0.30, "mild"), ("fox", 42, 0.205, "well")],
                 health=[("unreadable_image", 5), ("boxes_zero_size", 3)], scenario="C", total=202)
    ch = compare(before, after, "old/insight.json")
    assert ch.classes_added == ("fox",) and ch.classes_removed == ("owl",)
    # dog: same count, share moved 0.5 points (< 1 point): not moved. cat: count and tier changed.
    assert [c.name for c in ch.classes_moved] == ["cat"]
    assert [(c.name, c.tier_before, c.tier_after) for c in ch.tier_changes] == [("cat", "well", "mild")]
    assert [h.code for h in ch.health_new] == ["boxes_zero_size"]
    assert [h.code for h in ch.health_resolved] == ["leakage_exact"]
    assert [(h.code, h.count_before, h.count_after) for h in ch.health_changed] == [("unreadable_image", 2, 5)]
    assert (ch.scenario_before, ch.scenario_after) == ("A", "C")
    assert not ch.nothing_changed


def test_same_report_means_nothing_changed():
    doc = _doc([("dog", 1, 1.0, "well")], scenario="A")
    assert compare(doc, doc, "x").nothing_changed
