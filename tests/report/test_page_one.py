"""Page 1 as printed: it holds on one page, a failed run is never shown under a scenario that calls it
fine, and what the loader noted is one line there with its detail under data health. Expected texts
are written out by hand."""

from __future__ import annotations

import re
from html import unescape
from dataclasses import replace

from weasyprint import HTML

from insight.analysis.build import word_curves
from insight.model.findings import Finding
from insight.model.insight import CurveDiagnosis
from insight.report.html import render_html
from insight.report.sections import build_report_context
from insight.report.sections.curves import FAILED_NOTE, FAILED_TITLE
from tests.report import builders

READ_NOTES = (
    "config.yaml train: images/train2017 read as labels/train2017",
    "config.yaml val: images/val2017 read as labels/val2017",
    "no image files: image sizes are unknown, so boxes have no pixel values (area_pct is still known from "
    "the normalised sizes)",
)


def _page_texts(html: str) -> list[str]:
    def texts(box) -> list[str]:
        out = [box.text] if hasattr(box, "text") else []
        for child in getattr(box, "children", None) or []:
            out += texts(child)
        return out

    pages = []
    for page in HTML(string=html).render().pages:
        body = [b for b in page._page_box.children if not getattr(b, "at_keyword", None)]
        pages.append(" ".join(" ".join(t for b in body for t in texts(b)).split()))
    return pages


def _with_notes(insight, notes=READ_NOTES):
    return replace(insight, dataset=replace(insight.dataset, notes=notes))


# --- page 1 fits ----------------------------------------------------------------------------------


def test_page_one_stays_on_one_page_with_the_loader_notes():
    # The 80-class insight with three loader notes (the COCO128 labels-only case, whose third note
    # spilled onto an otherwise empty page 2): page 2 must start with the next section.
    pages = _page_texts(render_html(_with_notes(builders.many_classes_insight()), "print"))
    assert pages[1].startswith("Insight summary"), pages[1][:120]
    # page 1 points at the notes in one row; the notes themselves are under data health
    assert "Read as 3 notes on how the dataset was read" in pages[0]
    assert "area_pct is still known" not in pages[0]
    health = next(p for p in pages if "How the dataset was read" in p)
    assert all(" ".join(n.split()) in health for n in READ_NOTES)


def test_the_loader_notes_have_one_row_on_page_one_and_a_list_under_data_health():
    ctx = build_report_context(_with_notes(builders.pets_insight(), READ_NOTES[:1]))
    assert ctx.health.read_as == READ_NOTES[:1]
    html = render_html(_with_notes(builders.pets_insight(), READ_NOTES[:1]), "screen")
    page_one = html.split('id="summary"')[0]
    assert "1 note on how the dataset was read" in page_one and 'href="#read-as"' in page_one
    assert READ_NOTES[0] not in page_one and READ_NOTES[0] in html.split('id="health"')[1]
    assert "How the dataset was read" not in render_html(builders.pets_insight(), "screen")  # no notes, no list


# --- a failed run -------------------------------------------------------------------------------


def _failed(scenario: str, judged_on: str = "train+val"):
    error = builders.finding("degenerate_run", "error", "Nothing was learned: every metric is 0.")
    curves = replace(builders.curves(scenario=scenario), judged_on=judged_on,
                     findings=(error,) + builders.curves().findings)
    return builders.pets_insight(curves=curves)


def test_a_run_with_an_error_about_its_curves_is_never_shown_as_going_well():
    for judged_on in ("train+val", "train"):
        html = unescape(re.sub(r"<style>.*?</style>", " ", render_html(_failed("A", judged_on)), flags=re.S))
        assert "going well" not in html and "tone-good" not in html and "tone-unjudged" not in html
        assert html.count('class="scenario tone-bad"') == 2  # page 1 and the curves section
        assert "Curve A does not apply: the run has an error" in html
        assert ("The losses alone read as Curve A, but an error-level finding says the run failed: "
                "Curve A's verdict does not apply.") in html
    assert FAILED_TITLE.format(scenario="D") in render_html(_failed("D"))


def test_curve_b_with_an_error_keeps_its_own_title():
    # Curve B (a diverging run) says what the error says: its title stands
    html = render_html(_failed("B"))
    assert "Curve B: unstable training" in html and "does not apply" not in html


def test_the_advice_of_a_failed_run_is_to_fix_the_error():
    # the losses read as A (the converged rule decided), with an error-level finding beside it: the advice
    # (insight.json's too) is to fix the error, never "You are doing fine"
    rule = Finding("converged", "info", values={"judged_on": "train+val", "x_axis": "epoch", "has_val": True,
                                                "train_fall_pct": 20.0, "val_end": 1.0, "window": 3,
                                                "val_best": 0.9, "val_best_x": 5.0},
                   shown={"val_end": "1.0", "val_best": "0.9"})
    error = Finding("degenerate_run", "error", values={"metrics": ["mAP50"], "points": 9, "x_axis": "epoch",
                                                       "zero": ["train/box_loss"], "moving": []})
    curves = word_curves(CurveDiagnosis(format="csv", source="x", scenario="A", rule_finding=rule,
                                        findings=(rule, error)))
    assert curves.failed_by.code == "degenerate_run"
    assert curves.advice == ("Fix the error first (it names what to check), then train again and run the "
                             "diagnosis again: whatever the losses show, the advice for Curve A does not "
                             "apply to this run.")
    view = build_report_context(builders.pets_insight(curves=curves)).curves.view
    assert (view.title, view.tone) == (FAILED_TITLE.format(scenario="A"), "bad")
    assert view.judged_note == FAILED_NOTE.format(scenario="A")
    healthy = word_curves(CurveDiagnosis(format="csv", source="x", scenario="A", rule_finding=rule,
                                         findings=(rule,)))
    assert healthy.failed_by is None and healthy.advice.startswith("You are doing fine")


def test_an_error_that_decided_leaves_no_scenario_and_a_red_box():
    # the error is the rule (no scenario): the box says the curves cannot be judged, in red, not
    # "not enough data"; no advice of a scenario is added
    error = Finding("degenerate_run", "error", values={"metrics": ["mAP50"], "points": 9, "x_axis": "epoch",
                                                       "zero": ["train/box_loss"], "moving": []})
    curves = word_curves(CurveDiagnosis(format="csv", source="x", scenario=None, rule_finding=error,
                                        findings=(error,)))
    assert curves.advice == "" and curves.rule.startswith("Nothing was learned")
    view = build_report_context(builders.pets_insight(curves=curves)).curves.view
    assert (view.title, view.tone, view.judged_note) == ("The curves cannot be judged: the run has an error",
                                                         "bad", "")


# --- a verdict read from a leaking validation split -------------------------------------------------


def test_a_fine_looking_run_on_a_leaking_split_is_not_shown_plainly_good():
    # 4 validation images are near copies of training images (the fire-8 case): the losses read as A,
    # but the validation loss they are judged on reads better than it should
    leak = builders.finding("leakage_near", "error", "4 images in val are a near copy of a training image.",
                            count=4)
    insight = builders.pets_insight(curves=builders.curves(scenario="A"), health=builders.health() + (leak,))
    ctx = build_report_context(insight)
    for view in (ctx.answer.curve.view, ctx.curves.view):
        assert (view.title, view.tone) == ("Curve A: training is going well", "warn")
        assert view.judged_note == ("The validation split holds copies of training images (a data-health "
                                    "error): the validation loss reads better than it should, so this verdict "
                                    "may be too kind.")
    plain = build_report_context(builders.pets_insight(curves=builders.curves(scenario="A")))
    assert (plain.curves.view.tone, plain.curves.view.judged_note) == ("good", "")
    rule = Finding("converged", "info", values={"judged_on": "train+val", "x_axis": "epoch", "has_val": True,
                                                "train_fall_pct": 20.0, "val_end": 1.0, "window": 3,
                                                "val_best": 0.9, "val_best_x": 5.0},
                   shown={"val_end": "1.0", "val_best": "0.9"})
    advice = word_curves(CurveDiagnosis(format="csv", source="x", scenario="A", rule_finding=rule,
                                        findings=(rule,)), leakage=True).advice
    assert advice == ("The curves look healthy, but held-out images copy training images, so the validation "
                      "loss reads better than it should: move or remove the copies (see data health), then "
                      "train and judge again.")


# --- classes without labels on page 1 ------------------------------------------------------------


def test_page_one_names_five_unlabelled_classes_and_counts_the_rest():
    # dog 15 + 5 and cat 8 + 2 labelled, seven declared classes with none (c0..c6): N = 30, K = 9,
    # cutoff = ceil(0.75 * 30 / 9) = ceil(2.5) = 3; the seven are seriously under-represented without a
    # label, so page 1 has no "add labels first" table but one line naming five of them and "2 more"
    names = [f"c{i}" for i in range(7)]
    counts = {"dog": (15, 5), "cat": (8, 2), **{n: (0, 0) for n in names}}
    tiers = {"dog": ("well", 0), "cat": ("well", 0), **{n: ("serious", 3) for n in names}}
    insight = builders.pets_insight(representation=builders.representation(counts, tiers, 3))
    answer = build_report_context(insight).answer
    assert (answer.unlabelled, answer.unlabelled_count, answer.unlabelled_more) == (
        ("c0", "c1", "c2", "c3", "c4"), 7, 2)
    assert answer.serious == ()
    page_one = unescape(render_html(insight, "print").split('id="summary"')[0])
    assert "7 declared classes have no labels: c0, c1, c2, c3, c4 and 2 more. Label them or drop them from the " \
           "label map." in " ".join(re.sub(r"<[^>]+>", " ", page_one).split())


def test_a_cutoff_of_one_label_is_singular():
    counts = {"dog": (1, 0), "cat": (0, 1)}
    insight = builders.pets_insight(representation=builders.representation(
        counts, {"dog": ("well", 0), "cat": ("well", 0)}, 1))
    text = " ".join(re.sub(r"<[^>]+>", " ", render_html(insight)).split())
    assert "a class needs at least 1 label to be well represented" in text


def test_the_mild_line_says_whose_labels_it_counts():
    """The page-1 line about mildly under-represented classes counts only their labels to add, so it
    must not read as the total of all classes (the summary's 'In all, add about N labels')."""
    page = lambda insight: " ".join(re.sub(r"<[^>]+>", " ", unescape(  # noqa: E731
        render_html(insight, "print").split('id="summary"')[0])).split())
    # one mild class needing 4 (the tiers and numbers are given by hand to the builder)
    counts = {"dog": (40, 10), "bird": (20, 5), "fish": (5, 1)}
    one = builders.pets_insight(representation=builders.representation(
        counts, {"dog": ("well", 0), "bird": ("mild", 4), "fish": ("serious", 23)}, 29))
    assert "1 class is mildly under-represented: 4 labels to add to it." in page(one)
    # two mild classes needing 4 + 3 = 7
    counts = {"dog": (40, 10), "bird": (20, 5), "cat": (21, 5), "fish": (5, 1)}
    two = builders.pets_insight(representation=builders.representation(
        counts, {"dog": ("well", 0), "bird": ("mild", 4), "cat": ("mild", 3), "fish": ("serious", 23)}, 29))
    assert "2 classes are mildly under-represented: 7 labels to add to them." in page(two)


# --- page 1 with more findings than it can hold ---------------------------------------------------

EXTRA_WARNINGS, EXTRA_NOTES = 14, 4


def _crowded():
    """The pets insight with 14 more warnings and 4 more notes about the data (one line each on page 1)."""
    extra = [builders.finding(f"extra_warning_{i}", "warning", f"Made-up warning number {i} about the data.")
             for i in range(EXTRA_WARNINGS)]
    extra += [builders.finding(f"extra_note_{i}", "info", f"Made-up note number {i} about the data.")
              for i in range(EXTRA_NOTES)]
    insight = builders.pets_insight()
    return replace(insight, health=tuple(insight.health) + tuple(extra))


def _print_page(context):
    from insight.report.html import render_context

    return render_context(context, "print")


def test_a_crowded_page_one_keeps_the_most_severe_lines_and_counts_the_others(tmp_path):
    from insight.report.pdf import fitted_layout

    context = build_report_context(_crowded())
    lines = context.answer.rest
    assert [line.severity for line in lines].count("info") >= EXTRA_NOTES  # warnings first, then notes
    fitted, document = fitted_layout(context, _print_page, tmp_path)
    kept = len(fitted.answer.rest)
    assert 0 < kept < len(lines) and fitted.answer.rest == lines[:kept]
    pages = [" ".join(" ".join(t for b in p._page_box.children if not getattr(b, "at_keyword", None)
                               for t in _texts(b)).split()) for p in document.pages]
    assert pages[1].startswith("Insight summary"), pages[1][:120]  # page 1 holds the whole answer
    assert "Version insight" in pages[0]  # the block of what was read too
    left = len(lines) - kept
    warnings_left = sum(1 for line in lines[kept:] if line.severity == "warning")  # counted by hand below
    notes_left = left - warnings_left
    words = [f"{warnings_left} warning{'s' if warnings_left != 1 else ''}"] * bool(warnings_left) + \
            [f"{notes_left} note{'s' if notes_left != 1 else ''}"] * bool(notes_left)
    assert f"And {left} more findings ({', '.join(words)}), with their details in " in pages[0]
    assert "data health" in pages[0].split(f"And {left} more findings")[1]
    # the screen has no pages: report.html keeps every line
    screen = unescape(render_html(_crowded(), "screen"))
    assert all(f"Made-up warning number {i} about the data." in screen for i in range(EXTRA_WARNINGS))
    assert "more findings (" not in screen


def test_a_page_one_that_fits_is_laid_out_once(tmp_path, monkeypatch):
    import insight.report.pdf as pdf

    calls = []
    real = pdf._layout
    monkeypatch.setattr(pdf, "_layout", lambda html, base: calls.append(1) or real(html, base))
    context = build_report_context(builders.pets_insight())
    fitted, _ = pdf.fitted_layout(context, _print_page, tmp_path)
    assert len(calls) == 1 and fitted.answer.left_out is None and fitted.answer.rest == context.answer.rest


def test_left_out_lines_are_counted_by_severity_and_place():
    from insight.report.sections.answer import Line, keep_lines

    context = build_report_context(builders.pets_insight())
    rest = (Line("warning", "Warning", "w1", "curve-a"), Line("warning", "Warning", "w2", "finding-b"),
            Line("warning", "Warning", "w3", "split-no_validation_split"),
            Line("info", "Note", "n1", "curve-c"), Line("info", "Note", "n2", "split-drift"))
    answer = keep_lines(replace(context.answer, rest=rest), 1)
    assert answer.rest == rest[:1]
    out = answer.left_out
    assert out.count == 4 and out.by_severity == (("Warning", 2), ("Note", 2))
    # in the report's order: the summary (splits), the curves, data health (drift is there)
    assert out.places == (("the insight summary", "split-no_validation_split"), ("the training curves", "curve-c"),
                          ("data health", "finding-b"))
    assert keep_lines(replace(context.answer, rest=rest), 5).left_out is None


def _texts(box) -> list[str]:
    out = [box.text] if hasattr(box, "text") else []
    for child in getattr(box, "children", None) or []:
        out += _texts(child)
    return out


def test_the_block_of_what_was_read_counts_the_classes_the_summary_counts():
    # a label map of background + 4 classes (the VOC palette sample: 21 entries, 20 classes besides
    # background): page 1 said 21 classes while the summary said 20
    insight = builders.pets_insight()
    classes = ("background",) + tuple(insight.dataset.classes)
    insight = replace(insight, dataset=replace(insight.dataset, classes=classes, background=("background",)))
    text = " ".join(re.sub(r"<[^>]+>", " ", unescape(render_html(insight, "print"))).split())
    n = len(classes) - 1  # by hand: every declared class but the background
    assert f"{n} classes besides the background (background)" in text
    assert f"{n + 1} classes" not in text
    from insight.report.text import dataset_text

    assert dataset_text(insight).splitlines()[0].endswith(f"{n} classes besides the background (background)")
