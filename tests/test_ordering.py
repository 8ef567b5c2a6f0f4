"""Natural order of names (insight/ordering.py), and where the report relies on it. Orders written by hand."""

from __future__ import annotations

from insight.ordering import natural_key


def test_digit_runs_compare_as_numbers():
    names = ["AP-10", "AP-2", "AP-1", "version_10", "version_9", "pg10", "pg9", "b", "a"]
    assert sorted(names, key=natural_key) == ["AP-1", "AP-2", "AP-10", "a", "b", "pg9", "pg10", "version_9",
                                              "version_10"]


def test_other_digit_characters_are_text_and_never_raise():
    # '²' is a digit to str.isdigit() but int('²') raises: it used to break the ordering of runs by number
    names = ["run1²3", "run1²2", "run١٢", "run2"]
    assert sorted(names, key=natural_key) == ["run1²2", "run1²3", "run2", "run١٢"]
    # run1²2 and run1²3: 'run', 1, '²' alike, then 2 < 3; run2 after them (2 > 1); 'run١٢' (Arabic-Indic
    # digits) is one text part, 'run١٢', which sorts after the text part 'run' of the others


def test_the_best_and_last_table_lists_per_class_aps_in_natural_order():
    # Detectron2 logs bbox/AP-<class> with sorted keys: AP-1, AP-10, AP-2; the table reads 1, 2, 10
    from insight.diagnose.curves import diagnose_run
    from tests.diagnose.curve_runs import run_of

    losses = {"train/loss": [3, 2, 1.5, 1.2, 1.1, 1.05], "val/loss": [3.1, 2.1, 1.6, 1.3, 1.2, 1.15]}
    aps = {f"val/bbox/AP-{c}": [10.0 * c, 11.0 * c, 12.0 * c, 12.5 * c, 13.0 * c, 13.0 * c] for c in (1, 10, 2)}
    d = diagnose_run(run_of({**losses, **aps}))
    ap_rows = [m.name for m in d.metrics if m.name.startswith("bbox/AP-")]
    assert ap_rows == ["bbox/AP-1", "bbox/AP-2", "bbox/AP-10"]
