"""Property: whatever text a YOLO label file holds, loading raises nothing but the project's own error
type, and every line is either a box, a polygon left for segmentation (or read as a mask when every line
is a polygon), or counted in a finding."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from insight.config import Config
from insight.errors import InsightError
from insight.formats.yolo import reader as yolo

NUMBERISH = st.sampled_from(["0", "1", "2", "-1", "7", "0.5", "1e3", "nan", "inf", "-0.2", "1.5", "", "x",
                             "0x10", "١", "0.25", "\t", "1,5"])
LINE = st.lists(NUMBERISH, min_size=0, max_size=9).map(" ".join)
TEXT = st.one_of(st.lists(LINE, max_size=12).map("\n".join), st.text(max_size=200),
                 st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


def _dataset(root: Path, label_text: str) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "data.yaml").write_text("names: [cat, dog]\ntrain: images/train\n")
    Image.new("RGB", (20, 10)).save(root / "images" / "train" / "a.png")
    (root / "labels" / "train" / "a.txt").write_text(label_text, encoding="utf-8", errors="surrogateescape")
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_random_label_text_never_raises_anything_else(text):
    with tempfile.TemporaryDirectory() as tmp:
        root = _dataset(Path(tmp), text)
        try:
            ds = yolo.load(root, Config())
        except InsightError as exc:
            assert "\n" not in str(exc)
            return
        # a line is what lies between b"\n" bytes; blank when it holds only ASCII whitespace
        raw = text.encode("utf-8", "surrogateescape")
        lines = [ln for ln in raw.split(b"\n") if ln.strip(b" \t\r\x0b\x0c")]
        read = int(ds.labels["instances"].sum()) if "instances" in ds.labels else len(ds.labels)  # masks: unions
        accounted = read + sum(f.count for f in ds.health
                               if f.code in ("bad_label_line", "class_id_out_of_range", "segmentation_invalid"))
        assert accounted == len(lines), (text, [(f.code, f.count) for f in ds.health], len(ds.labels))
