"""--summary: parsed back as markdown (markdown-it-py, CommonMark with tables, as GitHub reads job
summaries). Every text the data brings must come back as exactly that text: no HTML, link, emphasis,
formula or extra table cell may come out of a class name. Expected rows are worked out by hand."""

from __future__ import annotations

from markdown_it import MarkdownIt

from insight.ci.summary import TOP_FINDINGS, md, summary_markdown
from tests.ci.docs import HOSTILE, curves_doc, dataset_doc, finding

SHOWN = " ".join(HOSTILE.split())  # one line: whitespace runs become one space (U+0001 is no whitespace)


def tokens(text: str):
    return MarkdownIt("commonmark").enable("table").parse(text)


def plain(inline) -> str:
    """What a reader sees of an inline token: its text, with escapes and entities resolved."""
    return "".join(c.content for c in inline.children if c.type in ("text", "text_special", "softbreak"))


def headings(toks) -> list[str]:
    return [plain(toks[i + 1]) for i, t in enumerate(toks) if t.type == "heading_open"]


def tables(toks) -> list[list[list[str]]]:
    """Each table as rows of cell texts (header row first)."""
    found, rows, row = [], None, None
    for t in toks:
        if t.type == "table_open":
            rows = []
        elif t.type == "tr_open":
            row = []
        elif t.type == "inline" and row is not None:
            row.append(plain(t))
        elif t.type == "tr_close":
            rows.append(row)
            row = None
        elif t.type == "table_close":
            found.append(rows)
    return found


def paragraphs(toks) -> list[str]:
    return [plain(toks[i + 1]) for i, t in enumerate(toks) if t.type == "paragraph_open"]


def inline_types(toks) -> set[str]:
    return {c.type for t in toks if t.type == "inline" for c in t.children}


def test_hostile_text_reads_as_written_everywhere():
    """A class named '<b>|x & "q" *y* [l](http://e) $m$' in a message, a level reason, a setting and a
    finding: each comes back as that text, in the cell it was put in."""
    health = [finding("unreadable_image", "error", f"1 image of {HOSTILE} cannot be read.")]
    settings = [{"name": "negative-tag", "value": [HOSTILE, "none"], "source": "data/pets/insight.toml"}]
    text = summary_markdown(dataset_doc(health, settings), [("serious", f"serious: 1 class(es) ({HOSTILE})")], "scan")
    toks = tokens(text)
    assert not {"html_inline", "html_block", "link_open", "image", "em_open", "s_open"} & (
        inline_types(toks) | {t.type for t in toks})
    assert tables(toks) == [
        [["--fail-on level", "result"], ["serious", f"serious: 1 class(es) ({SHOWN})"]],
        [["severity", "finding", "count", "what it says"], ["error", "unreadable_image", "1",
                                                            f"1 image of {SHOWN} cannot be read."]],
        [["setting", "value", "from"], ["negative-tag", f"{SHOWN}, none", "data/pets/insight.toml"]],
    ]
    assert f"Class representation: Fix first: {SHOWN} (add 6) is seriously under-represented." in paragraphs(toks)


def test_verdict_dataset_and_sections():
    """Two levels, one fired: 'failed, 1 of 2'; the dataset line; no curves (the reason instead)."""
    toks = tokens(summary_markdown(dataset_doc(), [("serious", "serious: 1 class(es)"), ("error", None)], "report"))
    assert headings(toks) == ["insight report: failed, 1 of 2 --fail-on levels fired", "Dataset", "Training curves"]
    assert tables(toks)[0][1:] == [["serious", "serious: 1 class(es)"], ["error", "passed"]]
    assert "data/pets: classification, class-folders, 2 classes (train 21 images)" in paragraphs(toks)
    assert "No training log was given (--run)." in paragraphs(toks)


def test_passed_and_ungated_verdicts():
    assert headings(tokens(summary_markdown(curves_doc("A"), [("scenario:B,C,D", None)], "curves")))[0] == \
        "insight curves: passed, none of 1 --fail-on levels fired"
    toks = tokens(summary_markdown(curves_doc("A"), [], "curves"))
    assert headings(toks)[0] == "insight curves: done (no --fail-on levels were set)"
    assert tables(toks) == []  # no levels, no findings, no settings


def test_curves_scenario_rule_and_advice():
    toks = tokens(summary_markdown(curves_doc("C"), [], "curves"))
    assert headings(toks) == ["insight curves: done (no --fail-on levels were set)", "Training curves"]
    # one scenario is "Curve C" (the family is "Curves A-D"; it read "Curves C" before)
    assert paragraphs(toks) == ["runs/exp/results.csv (ultralytics-csv)",
                                    "Curve C (judged on train+val): The validation loss rose 82.6 % above its best.",
                                    "Advice: Add data augmentation."]


def test_top_findings_worst_first_and_the_rest_counted():
    """12 findings: 5 notes, 4 warnings, 3 errors, given in that order. Shown: the 3 errors, the 4
    warnings, then 3 of the 5 notes (10 rows); 'and 2 more'. Curve findings join the same list."""
    health = ([finding(f"note{i}", "info", f"n{i}") for i in range(5)] + [finding(f"warn{i}", "warning", f"w{i}")
              for i in range(3)] + [finding(f"err{i}", "error", f"e{i}") for i in range(3)])
    doc = dataset_doc(health)
    doc["curves"] = curves_doc("C", [finding("metric_regressed", "warning", "accuracy fell")])["curves"]
    toks = tokens(summary_markdown(doc, [], "report"))
    rows = tables(toks)[0][1:]
    assert len(rows) == TOP_FINDINGS == 10
    assert [r[1] for r in rows] == ["err0", "err1", "err2", "warn0", "warn1", "warn2", "metric_regressed",
                                    "note0", "note1", "note2"]
    assert rows[-1][0] == "note"
    assert "and 2 more in the report" in paragraphs(toks)


def test_line_starts_that_would_be_markup_are_plain_text():
    """A dataset path opens a paragraph: '# x', '- x', '+ x' and '1. x' there would be a heading or a
    list, '---' a rule. Each reads back as itself; a number that opens no list ('1.5') is left as is."""
    for text in ("# heading", "## h", "- item", "+ item", "1. item", "12) item", "1.5 x", "#x", "---", "2)"):
        toks = tokens(md(text) + "\n")
        assert [t.type for t in toks] == ["paragraph_open", "inline", "paragraph_close"], text
        assert plain(toks[1]) == text
    assert md("1.5 x") == "1.5 x"
