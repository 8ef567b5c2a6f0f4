"""Dataset: findings added after loading keep the checked tables and what was computed from them."""

from __future__ import annotations

import numpy as np

from insight.model import dataset as dataset_module
from insight.model.findings import Finding
from tests.builders import classification


def test_with_health_adds_findings_without_checking_the_tables_again(monkeypatch):
    ds = classification({"train": {"cat": 2, "dog": 1}, "val": {"cat": 1}})
    codes = ds.label_codes("class")
    np.testing.assert_array_equal(codes, [0, 0, 1, 0])  # cat, cat, dog (train), cat (val): by hand
    monkeypatch.setattr(dataset_module, "_validate", lambda ds: (_ for _ in ()).throw(AssertionError("checked")))
    more = ds.with_health([Finding("duplicates_checked", "info")])
    assert [f.code for f in more.health] == ["duplicates_checked"] and ds.health == ()
    assert more.labels is ds.labels and more.images is ds.images
    assert more.label_codes("class") is codes
    np.testing.assert_array_equal(more.label_image_rows(), [0, 1, 2, 3])
