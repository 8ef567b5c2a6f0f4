"""Every log reader keeps the registry's interface and never raises from detect() on odd input."""

from __future__ import annotations

import pytest

from insight.detection import Detection
from insight.logs import READER_MODULES, readers


def test_every_listed_reader_exists_with_its_interface():
    modules = readers()
    assert [m.__name__.rsplit(".", 1)[1] for m in modules] == list(READER_MODULES)
    names = [m.NAME for m in modules]
    assert len(set(names)) == len(names)
    for module in modules:
        assert callable(module.candidates) and callable(module.detect) and callable(module.read)
        assert module.__doc__ and "\n" in module.__doc__  # opens with the layout it reads


@pytest.mark.parametrize("module", readers(), ids=lambda m: m.NAME)
def test_detect_says_no_to_odd_input(module, tmp_path):
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"\x00\xff" * 50)
    empty = tmp_path / "empty.json"
    empty.write_text("")
    image = tmp_path / "dog.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 20)
    for path in (tmp_path / "missing.csv", binary, empty, image):
        found = module.detect(path)
        assert isinstance(found, Detection) and found.confidence == 0, (module.NAME, path.name)
    assert module.candidates(tmp_path) == []


def test_candidates_skip_hidden_and_virtualenv_folders(tmp_path):
    from insight.logs import ultralytics_csv

    text = "epoch,train/box_loss,val/box_loss\n1,0.5,0.6\n"
    for folder in (".hidden", ".venv/lib", "runs/train"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "results.csv").write_text(text)
    assert ultralytics_csv.candidates(tmp_path) == [tmp_path / "runs" / "train" / "results.csv"]
