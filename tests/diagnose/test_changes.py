"""'Since last report': comparing two insight.json documents written by hand."""

from __future__ import annotations

from insight.diagnose.changes import baseline_problem, compare, upgrade


def _doc(classes, health=(), scenario=None, total=None):
    """An insight/2 document; shares given in per cent."""
    return {"schema": "insight/2",
            "representation": {"total": total, "classes": [
                {"name": n, "count": c, "share_pct": s, "tier": t} for n, c, s, t in classes]},
            "health": [{"code": code, "severity": "error", "count": n} for code, n in health],
            "curves": {"scenario": scenario}}


def test_everything_that_moved():
    before = _doc([("dog", 100, 50.0, "well"), ("cat", 90, 45.0, "well"), ("owl", 10, 5.0, "serious")],
                  health=[("unreadable_image", 2), ("leakage_exact", 1)], scenario="A", total=200)
    after = _doc([("dog", 100, 49.5, "well"), ("cat", 60, 30.0, "mild"), ("fox", 42, 20.5, "well")],
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
    doc = _doc([("dog", 1, 100.0, "well")], scenario="A")
    assert compare(doc, doc, "x").nothing_changed


def test_an_insight_1_document_is_read_with_the_current_key_names():
    """insight/1 wrote `version` and a class's `share` as a fraction; by hand: 0.25 is 25 per cent."""
    old = {"schema": "insight/1", "version": "0.1.0",
           "representation": {"total": 4, "classes": [{"name": "dog", "count": 1, "share": 0.25, "tier": "mild",
                                                         "to_add": 2, "by_split": {"train": 1}}]},
           "health": [], "curves": None}
    new = upgrade(old)
    assert new["insight_version"] == "0.1.0" and "version" not in new
    assert new["representation"]["classes"] == [{"name": "dog", "count": 1, "share_pct": 25.0, "tier": "mild",
                                                  "to_add": 2, "by_split": {"train": 1}}]
    assert baseline_problem(new) is None
    after = _doc([("dog", 1, 20.0, "mild")], total=5)
    assert [(c.share_pct_before, c.share_pct_after) for c in compare(new, after, "old").classes_moved] == [(25.0, 20.0)]


def test_upgrade_leaves_a_broken_share_for_the_problem_check():
    old = {"schema": "insight/1", "representation": {"classes": [{"name": "dog", "count": 1, "share": "x",
                                                                  "tier": "well"}]}}
    assert baseline_problem(upgrade(old)) == "representation.classes[0].share_pct has the wrong type (str)"
