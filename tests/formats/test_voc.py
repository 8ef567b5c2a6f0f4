"""Pascal VOC loader: real samples read by hand with ElementTree, layouts and hostile XML on tiny trees."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from insight.formats.voc import reader as pascal_voc
from tests.realdata import realdata


def test_real_voc2007_annotation_by_hand():
    # 000001.xml of VOC2007: dog (48,240)-(195,371) and person (8,12)-(352,498), image 353x500,
    # both truncated. ImageSets/Main: trainval and test both list 000001 (this fixture puts
    # the same image in both), so it is read once per split.
    root = realdata("voc/mmyolo_VOCdevkit/VOC2007")
    ds = pascal_voc.load(root)
    tree = ET.parse(root / "Annotations" / "000001.xml").getroot()  # the independent reading
    objects = {o.findtext("name"): [float(o.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
               for o in tree.findall("object")}
    width, height = float(tree.findtext("size/width")), float(tree.findtext("size/height"))
    assert sorted(ds.images["image_id"]) == ["test/000001", "train/000001"]
    boxes = ds.labels[ds.labels["split"] == "train"].set_index("class")
    for name, (x0, y0, x1, y1) in objects.items():
        row = boxes.loc[name]
        assert (row["x"], row["y"], row["w"], row["h"]) == (x0, y0, x1 - x0, y1 - y0)
        assert row["area_pct"] == pytest.approx((x1 - x0) * (y1 - y0) * 100 / (width * height))
    for o in tree.findall("object"):
        assert boxes.loc[o.findtext("name"), "truncated"] == int(o.findtext("truncated"))
        assert boxes.loc[o.findtext("name"), "difficult"] == int(o.findtext("difficult"))
    assert any("trainval" in n for n in ds.notes)


def test_real_vocdevkit_reads_both_years():
    ds = pascal_voc.load(realdata("voc/mmyolo_VOCdevkit"))
    assert ds.images["image_id"].is_unique
    assert {i.split("/")[1] for i in ds.images["image_id"]} == {"VOC2007", "VOC2012"}


def test_real_labelme_export_with_background_entry():
    ds = pascal_voc.load(realdata("voc/labelme_bbox_detection"))
    names = [ln.strip() for ln in (realdata("voc/labelme_bbox_detection") / "class_names.txt")
             .read_text().splitlines() if ln.strip()]
    assert names[0] == "_background_"
    assert list(ds.classes) == names[1:]
    # Boxes counted by hand from the three XML files' <object> elements.
    expected = sum(len(ET.parse(p).getroot().findall("object"))
                   for p in (realdata("voc/labelme_bbox_detection") / "Annotations").glob("*.xml"))
    assert len(ds.labels) == expected


def test_real_tree_without_sizes_or_images():
    # voc_dataset2: no <size> and no JPEGImages: sizes unknown, area_pct unknown, boxes kept.
    ds = pascal_voc.load(realdata("voc/datumaro/voc_dataset/voc_dataset2"))
    assert not ds.has_image_files
    assert ds.labels["area_pct"].isna().all() and len(ds.labels) == 4
    assert "background" in ds.classes  # used by a box in a.xml, so it is a class here


def xml(name: str, objects, size=(100, 50), filename=None) -> str:
    objs = "".join(
        f"<object><name>{n}</name><difficult>{d}</difficult><truncated>{t}</truncated><bndbox>"
        f"<xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for n, b, d, t in objects)
    size_xml = f"<size><width>{size[0]}</width><height>{size[1]}</height></size>" if size else ""
    return f"<annotation><filename>{filename or name + '.jpg'}</filename>{size_xml}{objs}</annotation>"


def make(root: Path, files: dict) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple):
            Image.new("RGB", content).save(path)
        else:
            path.write_text(content)
    return root


def test_voc_layout_with_splits_flags_and_header_fallback(tmp_path):
    root = make(tmp_path, {
        "Annotations/a.xml": xml("a", [("cat", (10, 5, 30, 15), 1, 0), ("dog", (0, 0, 50, 50), 0, 1)]),
        "Annotations/b.xml": xml("b", [("cat", (0, 0, 8, 8), 0, 0)], size=(0, 0), filename="b.png"),
        "JPEGImages/b.png": (16, 8),
        "JPEGImages/c.png": (10, 10),  # listed in val, no annotation: an image with no box
        "ImageSets/Main/train.txt": "a\nb\n", "ImageSets/Main/val.txt": "c\n",
        "ImageSets/Main/trainval.txt": "a\nb\nc\n",
        "ImageSets/Main/cat_train.txt": "a 1\nb 1\n",
    })
    assert pascal_voc.detect(root).confidence >= 0.9
    ds = pascal_voc.load(root)
    assert ds.splits == ["train", "val"]
    assert ds.images.set_index("image_id").loc["train/b", "width"] == 16  # size 0 in XML -> header
    a_cat = ds.labels[(ds.labels["image_id"] == "train/a") & (ds.labels["class"] == "cat")].iloc[0]
    # (10,5)-(30,15) in 100x50: w 20, h 10, 200 px = 4 %
    assert (a_cat["x"], a_cat["y"], a_cat["w"], a_cat["h"], a_cat["area_pct"]) == (10, 5, 20, 10, 4)
    assert (a_cat["difficult"], a_cat["truncated"]) == (1, 0)
    b_cat = ds.labels[ds.labels["image_id"] == "train/b"].iloc[0]
    assert b_cat["area_pct"] == pytest.approx(64 * 100 / (16 * 8))  # 50 %
    assert ds.classes == ("cat", "dog")
    assert "val/c" in set(ds.images["image_id"])


def test_entities_are_refused_and_malformed_xml_names_the_line(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
            '<annotation><object><name>&lol2;</name></object></annotation>')
    root = make(tmp_path, {"Annotations/bomb.xml": bomb,
                           "Annotations/broken.xml": "<annotation>\n<object>\n<name>cat</name>\n</annotation>",
                           "Annotations/good.xml": xml("good", [("cat", (0, 0, 1, 1), 0, 0)])})
    ds = pascal_voc.load(root)
    found = {f.code: f for f in ds.health}["annotation_unreadable"]
    assert found.count == 2
    assert any(e.startswith("Annotations/bomb.xml:1 (DOCTYPE or entity declaration refused") for e in found.examples)
    assert any(e.startswith("Annotations/broken.xml:4 ") for e in found.examples)
    assert len(ds.images) == 1 and len(ds.labels) == 1


def test_utf16_files_are_read_and_their_entities_refused(tmp_path):
    # A UTF-16 file hides "<!ENTITY" from a byte search: such files take the defusedxml path, so an
    # entity declaration is still refused, and a plain UTF-16 annotation still reads (cat 2,3-12,8 by hand).
    bomb = ('<?xml version="1.0" encoding="utf-16"?>\n<!DOCTYPE a [<!ENTITY x "xxxx"><!ENTITY y "&x;&x;">]>\n'
            '<annotation><object><name>&y;</name></object></annotation>')
    plain = '<?xml version="1.0" encoding="utf-16"?>\n' + xml("plain", [("cat", (2, 3, 12, 8), 0, 0)])
    root = make(tmp_path, {"Annotations/good.xml": xml("good", [("dog", (0, 0, 1, 1), 0, 0)])})  # detected by it
    (root / "Annotations" / "bomb.xml").write_bytes(bomb.encode("utf-16"))
    (root / "Annotations" / "plain.xml").write_bytes(plain.encode("utf-16"))
    ds = pascal_voc.load(root)
    found = {f.code: f for f in ds.health}["annotation_unreadable"]
    assert [e.split(" (")[0] for e in found.examples] == ["Annotations/bomb.xml:1"]
    assert "DOCTYPE or entity declaration refused" in found.examples[0]
    box = ds.labels.set_index("class").loc["cat"]
    assert (box["x"], box["y"], box["w"], box["h"]) == (2, 3, 10, 5)


def test_only_unreadable_annotations_is_a_one_line_error(tmp_path):
    root = make(tmp_path, {"Annotations/a.xml": "<annotation>\n<object>\n</annotation>"})
    with pytest.raises(pascal_voc.DatasetError, match=r"a\.xml:3: XML does not parse"):
        pascal_voc.load(root)


def test_size_zero_is_a_finding(tmp_path):
    root = make(tmp_path, {"Annotations/a.xml": xml("a", [("cat", (0, 0, 1, 1), 0, 0)], size=(0, 0))})
    found = {f.code: f for f in pascal_voc.load(root).health}
    assert found["image_size_invalid"].examples == ("Annotations/a.xml",)


def test_roboflow_layout_and_undeclared_names(tmp_path):
    root = make(tmp_path, {
        "train/a.xml": xml("a", [("cat", (0, 0, 1, 1), 0, 0), ("zebra", (0, 0, 1, 1), 0, 0)]),
        "train/a.jpg": (100, 50), "valid/b.xml": xml("b", [("cat", (0, 0, 1, 1), 0, 0)]),
        "valid/b.jpg": (100, 50), "labelmap.txt": "# label:color\ncat:1,2,3::\n"})
    ds = pascal_voc.load(root)
    assert ds.splits == ["train", "val"] and ds.classes == ("cat",)
    found = {f.code: f for f in ds.health}["undeclared_class"]
    assert found.count == 1 and found.values["names"] == ["zebra"]


def test_incomplete_object_is_a_finding(tmp_path):
    root = make(tmp_path, {"Annotations/a.xml": "<annotation><object><name>cat</name><bndbox><xmin>1</xmin>"
                                                "</bndbox></object></annotation>"})
    found = {f.code: f for f in pascal_voc.load(root).health}
    assert found["bad_annotation"].count == 1


def test_parent_of_several_voc_datasets_says_so(tmp_path):
    make(tmp_path, {"one/Annotations/a.xml": xml("a", []), "two/Annotations/b.xml": xml("b", [])})
    detection = pascal_voc.detect(tmp_path)
    assert detection.confidence == 0 and "one, two" in detection.reason


def test_split_list_naming_an_image_twice(tmp_path):
    root = make(tmp_path, {"Annotations/a.xml": xml("a", [("cat", (0, 0, 1, 1), 0, 0)]),
                           "ImageSets/Main/train.txt": "a\na\n"})
    assert len(pascal_voc.load(root).images) == 1


def test_many_files_read_in_the_pool_as_in_process(tmp_path):
    """1,100 annotation files (over four pool tasks of XML_CHUNK): one broken, one with an incomplete
    box, one a symlink that leads out of the dataset. Counted by hand: 1,097 good files x 2 boxes + the
    file with one good box of two = 2,195 boxes; the same tables and findings with 1 worker and 2."""
    from insight.config import Config

    outside = tmp_path / "elsewhere.xml"
    outside.write_text("<annotation><object><name>cat</name></object></annotation>")
    ann = tmp_path / "voc" / "Annotations"
    ann.mkdir(parents=True)
    box = "<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>1</xmin><ymin>2</ymin>" \
          "<xmax>{x}</xmax><ymax>8</ymax></bndbox></object>"
    for i in range(1100):
        path = ann / f"{i:05d}.xml"
        if i == 5:
            path.write_text("<annotation><size>")  # does not parse
        elif i == 6:
            path.write_text(f"<annotation>{box.format(n='dog', d=0, x=5)}<object><name>cat</name>"
                            "<bndbox><xmin>1</xmin></bndbox></object></annotation>")
        elif i == 7:
            path.symlink_to(outside)
        else:
            path.write_text(f"<annotation><size><width>10</width><height>10</height></size>"
                            f"{box.format(n='dog', d=1, x=5)}{box.format(n='cat', d=0, x=9)}</annotation>")
    assert pascal_voc.XML_CHUNK * 4 <= 1100  # the pool is used with 2 workers
    one, two = (pascal_voc.load(tmp_path / "voc", Config(workers=w)) for w in (1, 2))
    assert len(one.labels) == 1097 * 2 + 1 == 2195
    assert int(one.labels["difficult"].sum()) == 1097 + 0  # every good file's dog is difficult
    assert one.labels.equals(two.labels) and one.images.equals(two.images)
    assert [(f.code, f.count, f.examples) for f in one.health] == [(f.code, f.count, f.examples) for f in two.health]
    codes = {f.code: f for f in one.health}
    assert codes["annotation_unreadable"].count == 2  # the broken file and the one leading outside
    assert codes["bad_annotation"].count == 1
