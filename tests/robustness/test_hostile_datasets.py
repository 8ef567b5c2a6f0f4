"""Datasets that refer to files outside themselves, to FIFOs and devices, with odd names or contradictory
categories: each row of the issue's table on the dataset side, built by the program that writes such
files (Python's json as COCO exporters use it, PyYAML for data.yaml, Pillow for images, os.mkfifo and
os.symlink for the traps). Expected counts are worked out by hand from what each test writes.

A file outside the dataset is never opened unless --follow-outside says so; a FIFO or a device is never
opened at all. Runs that could hang (a FIFO, /dev/zero) run the command in a child process with a
timeout, so that a regression fails instead of stopping the test run.
"""

from __future__ import annotations

import json
import shutil
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from insight.cli import main
from tests.realdata import realdata

REPO = Path(__file__).resolve().parents[2]


def png(path: Path, size=(20, 10), color=(0, 0, 0)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def coco(root: Path, file_names: list[str], categories=None) -> Path:
    """One COCO instances file: one image per name (ids 1, 2, ...), one 3 x 3 box of category 1 on each."""
    images = [{"id": i, "file_name": n} for i, n in enumerate(file_names, 1)]
    annotations = [{"id": i, "image_id": i, "category_id": 1, "bbox": [1, 1, 3, 3]} for i in range(1, len(images) + 1)]
    doc = {"images": images, "annotations": annotations, "categories": categories or [{"id": 1, "name": "cat"}]}
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "annotations" / "instances_train.json").write_text(json.dumps(doc))
    return root


def scan(capsys, path: Path, *extra) -> tuple[int, dict, str]:
    code = main(["scan", str(path), "--json", "-q", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, (json.loads(out) if code in (0, 1) else {}), err


def health(doc: dict) -> dict[str, dict]:
    return {h["code"]: h for h in doc["health"]}


def in_child(*argv, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "insight.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@pytest.fixture
def outside(tmp_path) -> Path:
    """A picture beside the dataset folder, 30 x 40 and red: were it read, its size would show."""
    return png(tmp_path / "outside" / "images" / "secret.png", (30, 40), (255, 0, 0))


# --- references that leave the dataset -------------------------------------------------------------

def test_coco_file_names_leaving_the_dataset_are_counted_but_not_opened(tmp_path, capsys, outside):
    data = tmp_path / "data"
    png(data / "images" / "a.png")
    (data / "images" / "link.png").symlink_to(outside)
    coco(data, ["a.png", "../../outside/images/secret.png", str(outside), "link.png"])
    code, doc, err = scan(capsys, data, "--duplicates")
    assert code == 0, err
    found = health(doc)
    # 4 images, 4 boxes: the three references out are counted as labels, none is opened
    assert doc["dataset"]["splits"]["train"] == {"images": 4, "labels": 4}
    assert found["outside_dataset"]["count"] == 3
    assert found["outside_dataset"]["examples"] == ["images/../../outside/images/secret.png", str(outside),
                                                    "images/link.png"]
    assert "were not opened: no size, no duplicate check, no thumbnail" in found["outside_dataset"]["message"]
    assert "--follow-outside" in found["outside_dataset"]["message"]
    assert found["duplicates_checked"]["count"] == 1  # a.png alone was hashed
    assert "image_missing" not in found and "duplicates_unreadable" not in found

    code, doc, err = scan(capsys, data, "--duplicates", "--follow-outside")
    found = health(doc)
    assert code == 0 and "outside_dataset" not in found
    # the three references are one file: three equal images, one kept and two counted as its copies
    assert found["duplicates_checked"]["count"] == 4 and found["duplicate_within_split"]["count"] == 2


def test_yolo_list_file_naming_files_outside(tmp_path, capsys, outside):
    data = tmp_path / "data"
    png(data / "images" / "a.png")
    (data / "labels").mkdir(parents=True)
    (data / "labels" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (data / "train.txt").write_text("images/a.png\n../outside/images/secret.png\n")
    (data / "data.yaml").write_text(yaml.safe_dump({"names": ["cat"], "train": "train.txt"}))
    code, doc, err = scan(capsys, data)
    assert code == 0, err
    found = health(doc)
    assert doc["dataset"]["splits"]["train"] == {"images": 2, "labels": 1}
    assert found["outside_dataset"]["count"] == 1
    assert found["outside_dataset"]["examples"] == ["../outside/images/secret.png"]


def test_data_yaml_splits_outside_are_missing_never_the_train_folder(tmp_path, capsys, outside):
    """val: ../outside/images could be read as the dataset's own images/ (its last part), which holds
    the train images; test: an absolute path elsewhere. Both are missing, with one finding."""
    data = tmp_path / "data"
    png(data / "images" / "train" / "a.png")
    (data / "labels" / "train").mkdir(parents=True)
    (data / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (data / "data.yaml").write_text(yaml.safe_dump({"names": ["cat"], "train": "images/train",
                                                    "val": "../outside/images", "test": str(outside.parent)}))
    code, doc, err = scan(capsys, data)
    assert code == 0, err
    assert doc["dataset"]["splits"] == {"train": {"images": 1, "labels": 1}}
    split = health(doc)["split_outside"]
    assert split["count"] == 2
    assert split["examples"] == ["data.yaml val: ../outside/images", f"data.yaml test: {outside.parent}"]
    assert "the val and test splits are missing" in split["message"]

    code, doc, err = scan(capsys, data, "--follow-outside")
    assert code == 0 and doc["dataset"]["splits"]["val"]["images"] == 1  # secret.png, read where it is
    assert "split_outside" not in health(doc)


def test_class_folder_symlink_out_of_the_dataset(tmp_path, capsys, outside):
    data = tmp_path / "data"
    png(data / "cat" / "1.png")
    (data / "dog").symlink_to(outside.parent, target_is_directory=True)
    code, doc, err = scan(capsys, data)
    assert code == 0, err
    assert doc["dataset"]["classes"] == ["cat"] and doc["dataset"]["splits"]["train"]["images"] == 1
    assert health(doc)["outside_dataset"]["examples"] == ["dog/"]


def test_real_dataset_whose_images_are_a_link_out(capsys):
    """lightly coco128's object_detection/images is a link file to ../images (as upstream ships it):
    the 10 images are outside the folder. Their 10 rows and every label line count; none is opened."""
    root = realdata("yolo/lightly_coco128_subset10/object_detection")
    lines = sum(1 for p in (root / "labels").rglob("*.txt") for ln in p.read_text().splitlines() if ln.strip())
    code, doc, err = scan(capsys, root)
    assert code == 0, err
    assert sum(s["images"] for s in doc["dataset"]["splits"].values()) == 10
    assert sum(s["labels"] for s in doc["dataset"]["splits"].values()) == lines
    assert health(doc)["outside_dataset"]["count"] == 10


# --- FIFOs and devices ---------------------------------------------------------------------------

def _coco_traps(data: Path) -> None:
    png(data / "images" / "a.png")
    os.mkfifo(data / "images" / "fifo.png")
    (data / "images" / "zero.png").symlink_to("/dev/zero")
    coco(data, ["a.png", "fifo.png", "zero.png"])


def _yolo_traps(data: Path) -> None:
    png(data / "images" / "a.png")
    os.mkfifo(data / "images" / "fifo.png")
    (data / "images" / "zero.png").symlink_to("/dev/zero")
    (data / "labels").mkdir(parents=True)
    for name in ("a", "fifo", "zero"):
        (data / "labels" / f"{name}.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (data / "train.txt").write_text("images/a.png\nimages/fifo.png\nimages/zero.png\n")
    (data / "data.yaml").write_text(yaml.safe_dump({"names": ["cat"], "train": "train.txt"}))


def _class_folder_traps(data: Path) -> None:
    png(data / "cat" / "a.png")
    os.mkfifo(data / "cat" / "fifo.png")
    (data / "cat" / "zero.png").symlink_to("/dev/zero")
    png(data / "dog" / "b.png", color=(0, 0, 255))


@pytest.mark.parametrize("build", [_coco_traps, _yolo_traps, _class_folder_traps], ids=["coco", "yolo", "folders"])
@pytest.mark.parametrize("follow", [False, True], ids=["default", "follow-outside"])
def test_fifo_and_dev_zero_named_by_the_dataset_are_never_read(tmp_path, build, follow):
    """The duplicate check runs by default in `report`: /dev/zero read to its end, or a FIFO opened for
    reading, would never finish. Each is skipped with a finding; the report is written."""
    data = tmp_path / "data"
    build(data)
    extra = ["--follow-outside"] if follow else []
    result = in_child("report", str(data), "--out", str(tmp_path / "out"), "-q", *extra)
    assert result.returncode == 0, result.stderr
    found = health(json.loads((tmp_path / "out" / "insight.json").read_text()))
    not_regular = found["not_a_regular_file"]
    if follow:  # /dev/zero is then looked at, and is a device
        assert not_regular["count"] == 2 and not_regular["values"]["kinds"] == ["a FIFO (named pipe)",
                                                                                "a character device"]
    else:  # the link leads out of the dataset: not even looked at
        assert not_regular["count"] == 1 and found["outside_dataset"]["count"] == 1
        assert found["outside_dataset"]["examples"][0].endswith("zero.png")
    assert found["duplicates_checked"]["count"] == (1 if build is not _class_folder_traps else 2)


def test_a_fifo_label_file_is_not_read(tmp_path, capsys):
    data = tmp_path / "data"
    png(data / "images" / "a.png")
    png(data / "images" / "b.png")
    (data / "labels").mkdir(parents=True)
    (data / "labels" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    os.mkfifo(data / "labels" / "b.txt")
    (data / "data.yaml").write_text(yaml.safe_dump({"names": ["cat"]}))
    result = in_child("scan", str(data), "--json", "-q")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["dataset"]["splits"]["train"] == {"images": 2, "labels": 1}
    assert health(doc)["not_a_regular_file"]["examples"] == ["labels/b.txt (a FIFO (named pipe))"]


# --- names and categories ------------------------------------------------------------------------

def test_a_4000_character_file_name(tmp_path, capsys):
    """No file system keeps a 4,004-character name (255 bytes at most): the image is missing, and the
    finding shows the name cut in the middle with its length."""
    data = tmp_path / "data"
    png(data / "images" / "a.png")
    long_name = "x" * 4000 + ".png"
    coco(data, ["a.png", long_name])
    code, doc, err = scan(capsys, data, "--duplicates")
    assert code == 0, err
    missing = health(doc)["image_missing"]
    assert missing["count"] == 1
    example = missing["examples"][0]
    assert example.startswith("images/xxx") and example.endswith("x.png (4,011 characters)") and len(example) <= 640


def test_a_class_folder_name_that_is_not_utf8(tmp_path):
    """A Latin-1 `caf\\xe9` folder (byte 0xE9 alone is not UTF-8) is the class `caf\\xe9`, written with a
    backslash escape, through the whole report."""
    data = tmp_path / "data"
    png(data / "dog" / "1.png")
    latin1 = os.fsdecode(bytes(data) + b"/caf\xe9")
    png(Path(latin1) / "1.png", color=(0, 255, 0))
    code = main(["report", str(data), "--out", str(tmp_path / "out"), "-q"])
    assert code == 0
    doc = json.loads((tmp_path / "out" / "insight.json").read_text())
    assert doc["dataset"]["classes"] == ["caf\\xe9", "dog"]
    assert "caf\\xe9" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_coco_category_declared_twice_or_named_twice(tmp_path, capsys):
    """Ids 1 (cat), 1 (dog), 2 (cat): id 1 keeps its first name, cat; ids 1 and 2 share `cat`. Every box
    is then `cat` (the boxes all use id 1 here), and the finding says both."""
    data = tmp_path / "data"
    png(data / "images" / "a.png")
    coco(data, ["a.png"], categories=[{"id": 1, "name": "cat"}, {"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}])
    code, doc, err = scan(capsys, data)
    assert code == 0, err
    assert doc["dataset"]["classes"] == ["cat"]
    dup = health(doc)["duplicate_category"]
    assert dup["count"] == 2 and dup["severity"] == "warning"
    assert dup["examples"] == [
        "annotations/instances_train.json: category id 1 declared 2 times ('cat', 'dog'); its boxes are counted as 'cat'",
        "annotations/instances_train.json: category name 'cat' given to ids 1, 2; their boxes are counted as one class"]


# --- caps, deep nesting, alias bombs, settings ------------------------------------------------------

def test_coco_annotation_file_over_the_cap(tmp_path, capsys, monkeypatch):
    from insight.formats.coco import reader

    monkeypatch.setattr(reader, "ANNOTATION_LIMIT", 100)
    data = coco(tmp_path / "data", ["a.png"])
    path = data / "annotations" / "instances_train.json"
    size = path.stat().st_size  # 173 bytes: 0.2 KiB
    assert 100 < size < 1024
    code, _, err = scan(capsys, data)
    assert code == 2 and err == (f"insight: error: {path}: the file is {size} bytes, more than the 100 bytes insight "
                                 "reads from one such file: not read (is it the right file?)\n")


def test_coco_info_nested_200k_deep(tmp_path, capsys):
    data = coco(tmp_path / "data", ["a.png"])
    path = data / "annotations" / "instances_train.json"
    path.write_text(path.read_text()[:-1] + ', "info": ' + "[" * 200_000 + "]" * 200_000 + "}")
    code, _, err = scan(capsys, data)
    assert code == 2 and err == f"insight: error: {path}: JSON nested too deeply to read (arrays or objects inside " \
                                "each other thousands of levels deep)\n"


def test_data_yaml_alias_bomb(tmp_path, capsys):
    node: object = "lol"
    for _ in range(9):  # 10 ** 9 strings once expanded; PyYAML writes each shared list once and aliases it
        node = [node] * 10
    data = tmp_path / "data"
    png(data / "images" / "a.png")
    (data / "data.yaml").write_text(yaml.safe_dump({"names": ["cat"], "train": "images", "bomb": node}))
    code, _, err = scan(capsys, data)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"insight: error: {data / 'data.yaml'}:")
    assert err.endswith("YAML aliases expand this file to more than 100,000 values (an alias bomb?): not read\n")


def test_follow_outside_is_not_taken_from_a_settings_file_inside_the_dataset(tmp_path, capsys, monkeypatch, outside):
    data = tmp_path / "data"
    png(data / "images" / "a.png")
    coco(data, ["a.png", "../../outside/images/secret.png"])
    (data / "insight.toml").write_text("follow-outside = true\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = scan(capsys, data)
    assert code == 2 and err == (f"insight: error: {data / 'insight.toml'}: follow-outside: not taken from a settings "
                                 "file inside the dataset (the dataset would choose what outside it is read); pass "
                                 "--follow-outside or set it in the working folder's settings\n")
    (data / "insight.toml").unlink()
    (tmp_path / "insight.toml").write_text("follow-outside = true\n")  # the working folder's: taken
    code, doc, err = scan(capsys, data)
    assert code == 0 and "outside_dataset" not in health(doc)
    assert doc["settings"] == [{"name": "follow-outside", "value": True, "source": "insight.toml"}]


# --- what the command opens, seen by strace ---------------------------------------------------------

def _opened(trace: Path, cwd: Path) -> set[str]:
    """Every path the traced processes asked open/openat for (relative ones against `cwd`)."""
    paths = set()
    for line in trace.read_text(errors="replace").splitlines():
        start = line.find('"')
        if "open" not in line[:start] or start < 0:
            continue
        path = line[start + 1:line.find('"', start + 1)]
        paths.add(os.path.normpath(path if path.startswith("/") else os.path.join(cwd, path)))
    return paths


def _traced_report(tmp_path: Path, data: Path, *extra) -> set[str]:
    trace = tmp_path / "trace.txt"
    result = subprocess.run(["strace", "-f", "-e", "trace=open,openat", "-o", str(trace), sys.executable, "-m",
                             "insight.cli", "report", str(data), "--out", str(tmp_path / "out"), "-q", *extra],
                            capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return _opened(trace, REPO)


def _hostile_datasets(tmp_path: Path, outside: Path) -> list[Path]:
    coco_data = tmp_path / "coco"
    png(coco_data / "images" / "a.png")
    os.mkfifo(coco_data / "images" / "fifo.png")
    (coco_data / "images" / "zero.png").symlink_to("/dev/zero")
    (coco_data / "images" / "link.png").symlink_to(outside)
    coco(coco_data, ["a.png", "../../outside/images/secret.png", str(outside), "link.png", "fifo.png", "zero.png"])
    yolo_data = tmp_path / "yolo"
    png(yolo_data / "images" / "a.png")
    (yolo_data / "labels").mkdir(parents=True)
    (yolo_data / "labels" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (yolo_data / "train.txt").write_text(f"images/a.png\n../outside/images/secret.png\n{outside}\n")
    (yolo_data / "data.yaml").write_text(yaml.safe_dump({"names": ["cat"], "train": "train.txt",
                                                         "val": "../outside/images"}))
    folders = tmp_path / "folders"
    png(folders / "cat" / "a.png")
    (folders / "dog").symlink_to(outside.parent, target_is_directory=True)
    (folders / "cat" / "out.png").symlink_to(outside)
    return [coco_data, yolo_data, folders]


@pytest.mark.skipif(not shutil.which("strace"), reason="needs strace (apt-get install strace) to see what is opened")
def test_nothing_outside_the_dataset_is_opened(tmp_path, outside):
    """Every hostile reference of the table at once, a full report each (the duplicate check included):
    no path under the folder that holds the outside files is opened, nor anything else but the dataset,
    the output folder, Python, the installed packages, the system's libraries and fonts, and scratch files
    directly in the temporary folder (tempfile's, and gcc's when ctypes looks for a library). With
    --follow-outside the same trace does show secret.png opened: the check can see such a read. Peak
    memory of the children (the largest any child of this test process reached) stays under 1 GB."""
    import resource
    import tempfile

    allowed = [str(REPO), sys.prefix, sys.base_prefix, str(Path.home()), "/usr", "/lib", "/lib64", "/etc", "/proc",
               "/sys", "/dev", "/var/cache/fontconfig", "/run"]
    temp = tempfile.gettempdir()
    for data in _hostile_datasets(tmp_path, outside):
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        opened = _traced_report(tmp_path, data)
        inside = [str(data), str(tmp_path / "out")]
        strays = sorted(p for p in opened
                        if not any(p == a or p.startswith(a.rstrip("/") + "/") for a in allowed + inside)
                        and os.path.dirname(p) != temp)  # scratch files of Python's tempfile, of gcc run by ctypes
        assert strays == [], (data.name, strays[:10])
        assert not any(p.startswith(str(outside.parent.parent)) for p in opened)
        assert not any(p.startswith(str(tmp_path)) and not p.startswith(tuple(inside)) for p in opened
                       if not p.endswith("trace.txt"))
    opened = _traced_report(tmp_path, tmp_path / "coco", "--follow-outside")
    assert str(outside) in opened
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1 << 20  # kB on Linux: 1 GB
