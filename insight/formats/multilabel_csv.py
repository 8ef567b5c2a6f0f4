"""Multi-label (and single-label) classification from CSV files.

    ROOT/                        ROOT/                        ROOT/
      labels.csv                   train/_classes.csv           annotations-human-imagelabels.csv
      images/ a.jpg ...            train/a.jpg ...              class-descriptions-boxable.csv  (no header)
                                   val/_classes.csv
CSV shapes (the image column is found by name: filename, image, Image Index, ImageID, path, ...):
    filename, dog, cat           one-hot 0/1 columns (Roboflow `_classes.csv`, spaces after commas allowed)
    Image Index, Finding Labels  a tags column split on | ; , (or on spaces in a column named `tags`)
    ImageID, LabelName           long format: one row per (image, label); Confidence 0 is a negative label
Splits: a `split` column, or one CSV per split (`train.csv`, `train/_classes.csv`); several CSVs named
by no split are each a split named after the file. A tag in `Config.negative_tag` (`No Finding`)
means "no class". Images are looked up beside the CSV, in `images/` and under ROOT; when none exist
the statistics come from the CSV alone.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from insight.bounds import NOT_OPENED, Bounds
from insight.config import Config
from insight.errors import DatasetError
from insight.formats.protocol import FormatReader
from insight.detection import LIKELY, SURE, Detection
from insight.formats.shared.files import missing_image_findings
from insight.formats.shared.label_maps import is_label_map_csv
from insight.formats.shared.files import remote_source
from insight.formats.shared.image_headers import list_images, read_sizes
from insight.formats.shared.splits import is_split_word, split_name
from insight.model import Dataset, Finding, Severity
from insight.progress import Progress, no_progress
from insight.safe_input import MiB, open_regular

CSV_LIMIT = 1024 * MiB  # bytes read from one label CSV (ChestX-ray14's Data_Entry: 8 MB; OpenImages' ~1 GB)

NAME = "multilabel-csv"
TASK = "multilabel"
IMAGE_COLUMNS = ("filename", "file", "filepath", "fname", "image", "imagename", "imageindex", "imageid",
                 "imagepath", "imagefile", "img", "path", "id", "name")
TAG_COLUMNS = ("tags", "labels", "label", "findinglabels", "labelname", "labelnames", "classes", "class",
               "classname", "category", "categories", "target", "targets")
SPLIT_COLUMNS = ("split", "subset")
BOX_COLUMNS = frozenset({"xmin", "ymin", "xmax", "ymax", "bbox", "x1", "y1", "x2", "y2"})
SEPARATORS = ("|", ";", ",")
ONE_HOT_VALUES = frozenset({"0", "1", "", "0.0", "1.0", "-1", "-1.0", "true", "false"})
POSITIVE = frozenset({"1", "1.0", "true"})
LABEL_MAP_CSV = re.compile(r"^(class[-_]?descriptions.*|class_dict|labelmap|label_?map)$", re.IGNORECASE)


def _norm(column: str) -> str:
    return re.sub(r"[\s_\-#]+", "", str(column)).lower()


@dataclass(frozen=True)
class Shape:
    """How one CSV holds its labels."""

    kind: str  # onehot | tags | long
    image: str
    labels: tuple[str, ...]  # one-hot class columns, or the one tags/label column
    split: str | None = None
    confidence: str | None = None  # long format: the Confidence column


def shape_of(columns: list[str], rows: list[list[str]], source: str) -> Shape:
    """Which columns are the image, the labels and the split; DatasetError when none fits."""
    by_norm = {_norm(c): c for c in reversed(columns)}
    if BOX_COLUMNS & set(by_norm):
        raise DatasetError("box columns (xmin, ymin, ...): a detection CSV, not image labels", source)
    image = next((by_norm[n] for n in IMAGE_COLUMNS if n in by_norm), columns[0])
    split = next((by_norm[n] for n in SPLIT_COLUMNS if n in by_norm), None)
    rest = [c for c in columns if c not in (image, split)]
    if not rest:
        raise DatasetError(f"only an image column ({image!r}); expected label columns", source)
    if "labelname" in by_norm and by_norm["labelname"] in rest and _long(by_norm, image, columns, rows):
        return Shape("long", image, (by_norm["labelname"],), split, by_norm.get("confidence"))
    tags = next((by_norm[n] for n in TAG_COLUMNS if n in by_norm and by_norm[n] in rest), None)
    if tags is not None:
        return Shape("tags", image, (tags,), split)
    position = {c: i for i, c in enumerate(columns)}
    one_hot = [c for c in rest if all(_cell(r, position[c]).lower() in ONE_HOT_VALUES for r in rows)]
    if one_hot and len(one_hot) == len(rest):
        return Shape("onehot", image, tuple(one_hot), split)
    if len(rest) == 1:
        return Shape("tags", image, (rest[0],), split)
    raise DatasetError("cannot tell which columns hold the labels (expected 0/1 class columns, a tags column "
                       "named tags/labels/Finding Labels, or ImageID,LabelName)", source)


def _long(by_norm: dict[str, str], image: str, columns: list[str], rows: list[list[str]]) -> bool:
    """Open Images style: a Source or Confidence column, or an image named on several rows."""
    if "confidence" in by_norm or "source" in by_norm:
        return True
    names = [_cell(r, columns.index(image)) for r in rows]
    return len(set(names)) < len(names)


def _cell(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def _peek(path: Path, rows: int = 200) -> tuple[list[str], list[list[str]]]:
    try:
        with io.TextIOWrapper(open_regular(path, CSV_LIMIT, DatasetError), encoding="utf-8-sig", errors="replace",
                              newline="") as f:
            reader = csv.reader(f, skipinitialspace=True)
            header = [h.strip() for h in next(reader, [])]
            return header, [r for _, r in zip(range(rows), reader)]
    except (OSError, csv.Error) as exc:
        raise DatasetError(f"cannot read the CSV ({exc})", path) from None


def _is_label_map_csv(path: Path) -> bool:
    if LABEL_MAP_CSV.match(path.stem):
        return True
    header, _ = _peek(path, 0)
    if is_label_map_csv(header):  # Roboflow masks' `_classes.csv`: Pixel Value, Class
        return True
    return bool(header) and header[0].startswith("/m/")  # Open Images class descriptions have no header


def find_csvs(root: Path) -> list[tuple[Path, str | None]]:
    """[(csv, split named by its folder or file name, or None)] at ROOT and in split folders."""
    found = []
    for path in sorted(root.glob("*.csv")):
        if not _is_label_map_csv(path):
            found.append((path, split_name(path.stem) if _split_stem(path.stem) else None))
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and is_split_word(p.name)):
        for path in sorted(folder.glob("*.csv")):
            if not _is_label_map_csv(path):
                found.append((path, split_name(folder.name)))
    return found


def _split_stem(stem: str) -> bool:
    words = re.split(r"[_\-.\s]+", stem.lower())
    return is_split_word(stem) or (len(words) <= 2 and any(is_split_word(w) for w in words))


def detect(root: Path) -> Detection:
    csvs = find_csvs(Path(root))
    if not csvs:
        return Detection.no("no CSV file of image labels at the top level or in split folders")
    reasons = []
    for path, _ in csvs[:5]:
        header, rows = _peek(path)
        if not header:
            reasons.append(f"{path.name} is empty")
            continue
        try:
            shape = shape_of(header, rows, str(path))
        except DatasetError as exc:
            reasons.append(f"{path.name}: {exc.reason}")
            continue
        named = _norm(shape.image) in IMAGE_COLUMNS
        return Detection(SURE if named else LIKELY,
                         f"{path.relative_to(root)} holds {shape.kind} labels (image column {shape.image!r})")
    return Detection.no("; ".join(reasons))


@dataclass
class _Records:
    """(split, image name) -> positive classes, in reading order, plus what was noticed on the way."""

    labels: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    declared: list[str] = field(default_factory=list)
    csv_dir: dict[tuple[str, str], Path] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    separators: set[str] = field(default_factory=set)
    sources: list[Path] = field(default_factory=list)  # the CSV files read
    kinds: set[str] = field(default_factory=set)
    uncertain: int = 0
    negatives: int = 0
    bounded: list = field(default_factory=list)  # outside_dataset / not_a_regular_file findings
    not_opened: list[str] = field(default_factory=list)  # image paths not opened

    def add(self, split: str, image: str, classes: list[str], folder: Path, source: str) -> None:
        key = (split, image)
        if key in self.labels:
            self.duplicates.append(f"{source}: {image}")
            self.labels[key] += [c for c in classes if c not in self.labels[key]]
            return
        self.labels[key] = list(dict.fromkeys(classes))
        self.csv_dir[key] = folder
        for c in classes:
            if c not in self.declared:
                self.declared.append(c)


def load(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    root = Path(root)
    csvs = find_csvs(root)
    if not csvs:
        raise DatasetError(detect(root).reason, root)
    records = _Records()
    unnamed = [p for p, s in csvs if s is None]
    for path, split in csvs:
        if split is None and len(unnamed) > 1:
            split = path.stem
            records.notes.append(f"{path.name} is read as a split named {split!r} (no split in its name)")
        _read_csv(path, split, records, config)
    declared = _declared(root, records, config)
    images, labels, findings = _tables(root, records, declared, config, progress)
    task = config.task if config.task in ("classification", "multilabel") else _task(records)
    if task == "classification":
        _refuse_several_labels(records, root)
    notes = records.notes + _notes(records, config)
    has_files = bool(images.pop("has_file").any()) if len(images) else False
    return Dataset(root=str(root), task=task, format=NAME, classes=tuple(declared.names), images=images,
                   labels=labels, health=tuple(records.bounded + findings), notes=tuple(notes),
                   has_image_files=has_files, extras={NOT_OPENED: records.not_opened})


def _read_frame(path: Path) -> pd.DataFrame:
    try:
        with open_regular(path, CSV_LIMIT, DatasetError) as handle:  # a regular file within the cap
            frame = pd.read_csv(handle, dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False,
                                encoding="utf-8-sig", encoding_errors="replace")
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise DatasetError(f"not a well-formed CSV ({str(exc).strip().splitlines()[-1]})", path,
                           int(line.group(1)) if line else None) from None
    except pd.errors.EmptyDataError:
        raise DatasetError("the CSV is empty", path) from None
    except (OSError, UnicodeError) as exc:
        raise DatasetError(f"cannot read the CSV ({exc})", path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda col: col.str.strip())


def _read_csv(path: Path, split: str | None, records: _Records, config: Config) -> None:
    frame = _read_frame(path)
    records.sources.append(path)
    shape = shape_of(list(frame.columns), frame.head(1000).values.tolist(), str(path))
    negative = set(config.negative_tag)
    records.kinds.add(shape.kind)
    if shape.kind == "onehot":
        for c in shape.labels:
            if c not in records.declared and c not in negative:
                records.declared.append(c)
    reader = {"onehot": _onehot_rows, "tags": _tag_rows, "long": _long_rows}[shape.kind]
    for row_split, image, classes in reader(frame, shape, records, negative):
        use_split = split_name(row_split) if row_split else (split or "train")
        records.add(use_split, image, classes, path.parent, path.name)


def _row_splits(frame: pd.DataFrame, shape: Shape) -> list[str]:
    return frame[shape.split].tolist() if shape.split else [""] * len(frame)


def _onehot_rows(frame, shape, records: _Records, negative):
    values = frame[list(shape.labels)].apply(lambda col: col.str.lower())
    records.uncertain += int(values.isin(["-1", "-1.0"]).to_numpy().sum())
    positive = values.isin(POSITIVE).to_numpy()
    names = list(shape.labels)
    for split, image, row in zip(_row_splits(frame, shape), frame[shape.image], positive):
        yield split, image, [n for n, p in zip(names, row) if p and n not in negative]


def _tag_rows(frame, shape, records: _Records, negative):
    column = frame[shape.labels[0]]
    sep = next((s for s in SEPARATORS if column.str.contains(s, regex=False).any()), None)
    if sep is None and _norm(shape.labels[0]) == "tags":
        sep = " "
    if sep is not None:
        records.separators.add(sep)
    for split, image, value in zip(_row_splits(frame, shape), frame[shape.image], column):
        tokens = [t.strip() for t in (value.split(sep) if sep else [value])]
        kept = [t for t in tokens if t and t not in negative]
        records.negatives += len(tokens) - len(kept) - tokens.count("")
        yield split, image, kept


def _long_rows(frame, shape, records: _Records, negative):
    conf = frame[shape.confidence] if shape.confidence else pd.Series("1", index=frame.index)
    positive = pd.to_numeric(conf, errors="coerce").fillna(1.0) > 0
    records.negatives += int((~positive).sum())
    grouped: dict[tuple[str, str], list[str]] = {}
    for split, image, label, pos in zip(_row_splits(frame, shape), frame[shape.image], frame[shape.labels[0]],
                                        positive):
        grouped.setdefault((split, image), [])
        if pos and label and label not in negative:
            grouped[(split, image)].append(label)
    for (split, image), classes in grouped.items():
        yield split, image, classes


@dataclass(frozen=True)
class _Declared:
    names: list[str]
    rename: dict[str, str]  # raw label (an Open Images MID) -> class name
    source: str


def _declared(root: Path, records: _Records, config: Config) -> _Declared:
    if config.classes_file:
        from insight.formats.shared.label_maps import read_label_map

        names = list(read_label_map(Path(config.classes_file)).names)
        return _Declared(names, {}, config.classes_file)
    descriptions = sorted(p for p in root.glob("*.csv") if re.match(r"class[-_]?descriptions", p.stem, re.I))
    if descriptions:
        frame = pd.read_csv(descriptions[0], header=None, dtype=str, keep_default_na=False, usecols=[0, 1])
        rename = dict(zip(frame[0].str.strip(), frame[1].str.strip()))
        names = list(dict.fromkeys(rename.values()))
        return _Declared(names, rename, descriptions[0].name)
    order = records.declared if records.kinds == {"onehot"} else sorted(records.declared)
    return _Declared(list(order), {}, "the CSV")


def _image_index(root: Path) -> dict[str, list[Path]]:
    index: dict[str, list[Path]] = {}
    for p in list_images(root):
        rel = p.relative_to(root).as_posix()
        for key in {rel, p.name, p.stem}:
            index.setdefault(key, []).append(p)
    return index


def _find_image(name: str, folder: Path, root: Path, index: dict[str, list[Path]]) -> Path | None:
    """The image a CSV row names, or None: the one place a CSV image reference becomes a path."""
    for base in (folder, folder / "images", root, root / "images"):
        candidate = base / name
        if os.path.isfile(candidate):  # False for a name too long to exist, never an error
            return candidate
    hits = index.get(name) or index.get(Path(name).name) or index.get(name.rsplit(".", 1)[0])
    return hits[0] if hits and len(hits) == 1 else None


def _tables(root, records: _Records, declared: _Declared, config: Config, progress):
    index = _image_index(root)
    keys = list(records.labels)
    names = [n for _, n in keys]
    prefix = len(set(names)) != len(names)  # the same name in two splits: ids carry the split
    ids = [f"{s}/{n}" if prefix else n for s, n in keys]
    found = [_find_image(n, records.csv_dir[k], root, index) for k, n in zip(keys, names)]
    located = [str(p) for p in found if p is not None]
    screened = Bounds.of(root, config.follow_outside).screen(located)
    records.bounded = screened.findings(lambda i: os.path.relpath(located[i], root), "image files the CSV names")
    records.not_opened = [os.path.relpath(located[i], root) for i in screened.refused]
    paths = [p for p, ok in zip(located, screened.ok) if ok]
    sizes = read_sizes(paths, config.workers, progress, config.executor, source=remote_source(config))
    size_of = dict(zip(paths, zip(sizes.width, sizes.height)))
    images = pd.DataFrame({
        "image_id": ids, "split": [s for s, _ in keys],
        "path": [os.path.relpath(p, root) if p is not None else n for p, n in zip(found, names)],
        "width": [size_of.get(str(p), (float("nan"),) * 2)[0] if p is not None else float("nan") for p in found],
        "height": [size_of.get(str(p), (float("nan"),) * 2)[1] if p is not None else float("nan") for p in found],
        "has_file": [p is not None for p in found],
    })
    known = set(declared.names)
    rows, undeclared = [], {}
    for image_id, key in zip(ids, keys):
        for raw in records.labels[key]:
            cls = declared.rename.get(raw, raw)
            if cls in known:
                rows.append((image_id, key[0], cls))
            else:
                undeclared[cls] = undeclared.get(cls, 0) + 1
    labels = pd.DataFrame(rows, columns=["image_id", "split", "class"])
    labels["kind"] = "tag"
    for c in ("x", "y", "w", "h", "area", "area_pct"):
        labels[c] = float("nan")
    findings = _findings(root, records, images, found, sizes.failed, undeclared, declared)
    return images, labels, findings


def _findings(root, records: _Records, images, found, failed, undeclared, declared) -> list[Finding]:
    out = []
    sources = [os.path.relpath(p, root).replace(os.sep, "/") for p in records.sources]
    out += missing_image_findings(images["path"].tolist(), images["split"].tolist(),
                                  images["has_file"].to_numpy(), sources)
    if failed:
        out.append(Finding("unreadable_image", Severity.ERROR, len(failed),
                           examples=[f"{os.path.relpath(p, root)}: {why}" for p, why in failed]))
    if records.duplicates:
        out.append(Finding("csv_duplicate_row", Severity.WARNING, len(records.duplicates),
                           examples=records.duplicates))
    if undeclared:
        top = sorted(undeclared.items(), key=lambda kv: -kv[1])
        out.append(Finding("label_not_declared", Severity.WARNING, sum(undeclared.values()),
                           values={"labels": [{"name": n, "count": c} for n, c in top[:10]],
                                   "distinct": len(top), "source": declared.source},
                           examples=[n for n, _ in top]))
    return out


def _refuse_several_labels(records: _Records, root: Path) -> None:
    """--task classification on rows that hold several classes: one line naming an example."""
    several = [(key, classes) for key, classes in records.labels.items() if len(classes) > 1]
    if several:
        (split, image), classes = several[0]
        raise DatasetError(f"--task classification: {len(several):,} images have several labels (e.g. {image} "
                           f"in {split}: {', '.join(classes[:3])}); use --task multilabel", root)


def _task(records: _Records) -> str:
    single = all(len(v) == 1 for v in records.labels.values())
    plain = records.kinds == {"tags"} and not records.separators and not records.negatives
    return "classification" if single and plain else "multilabel"


def _notes(records: _Records, config: Config) -> list[str]:
    notes = []
    if records.negatives:
        notes.append(f"{records.negatives:,} negative labels (tags {', '.join(config.negative_tag)!s} or "
                     "confidence 0) mean 'no class' and are not counted")
    if records.uncertain:
        notes.append(f"{records.uncertain:,} uncertain (-1) one-hot values are not counted as positive")
    return notes


READER = FormatReader(NAME, TASK, ("classification", "multilabel"), detect, load)
