"""`insight --help` and `insight curves` start at once: neither imports WeasyPrint nor matplotlib (issue 6).

Each case runs in a fresh interpreter and reads its sys.modules after the command, because this test
process may already hold both libraries (other tests render reports).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("weasyprint", "matplotlib")

PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    preload = sys.argv[1]
    if preload:
        __import__(preload)
    from insight.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = main(sys.argv[2:])
        except SystemExit as exc:
            code = exc.code
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
    print(json.dumps({"code": code, "heavy": loaded}))
    """
)

# A Keras CSVLogger history written by hand: loss falls, val_loss falls then levels.
KERAS_LOG = "epoch,accuracy,loss,val_accuracy,val_loss\n" + "".join(
    f"{e},{0.5 + e / 40:.3f},{1.0 / (e + 1):.4f},{0.5 + e / 50:.3f},{0.4 + 0.8 / (e + 1):.4f}\n" for e in range(12)
)


def _run(args: list[str], preload: str = "") -> dict:
    code = f"HEAVY = {HEAVY!r}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code, preload, *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["scan", "--help"], ["curves", "--help"]])
def test_help_imports_no_heavy_library(args):
    result = _run(args)
    assert result["code"] == 0
    assert result["heavy"] == []


@pytest.mark.parametrize("as_json", [False, True])
def test_curves_imports_no_heavy_library(tmp_path, as_json):
    log = tmp_path / "history.csv"
    log.write_text(KERAS_LOG)
    result = _run(["curves", str(log), *(["--json"] if as_json else [])])
    assert result["code"] == 0  # the command really ran to the end
    assert result["heavy"] == []


# A COCO instances file written by hand: one image, one box (no image files, so no header is read).
COCO = ('{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}], '
        '"annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "iscrowd": 0}], '
        '"categories": [{"id": 1, "name": "cat"}]}')
# What a scan of COCO annotations never uses: drawing and the PDF, and the libraries of other formats'
# files (data.yaml, VOC XML, image headers). Format detection looks at every reader, so each must
# import its library only when it reads such a file.
UNUSED_BY_COCO_SCAN = HEAVY + ("yaml", "defusedxml", "PIL")


def test_coco_scan_imports_only_what_it_uses(tmp_path):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "instances_train.json").write_text(COCO)
    code = f"HEAVY = {UNUSED_BY_COCO_SCAN!r}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code, "", "scan", str(tmp_path), "--json"], capture_output=True,
                         text=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    assert result["heavy"] == []


def test_probe_sees_a_heavy_import():
    # the probe itself is able to fail: a library imported before the command shows up
    assert _run(["--help"], preload="matplotlib")["heavy"] == ["matplotlib"]


def test_schema_imports_no_heavy_library():
    result = _run(["schema"])
    assert result["code"] == 0 and result["heavy"] == []
