"""Every framework's metric column or tag becomes (split, canonical name) here, and only here.

Names are matched by pattern on the text of the column or tag, never by its position.

    raw column / tag                      split   canonical name
    train/box_loss, val/box_loss          train/val  box_loss      (Ultralytics)
    metrics/mAP50-95(B), mAP_0.5:0.95     val     mAP50_95
    metrics/mAP50(M)                      val     mask_mAP50     ((M) = mask metrics)
    val/box_om, train/cls_oo              ...     box_loss_om, cls_loss_oo   (YOLOv10 dual heads)
    train/rle (in an Ultralytics CSV)     train   rle_loss      (loss_namespaces: not a metric -> a loss)
    x/lr0, lr/pg1                         train   lr_pg0, lr_pg1
    loss, val_loss, val_accuracy          train/val  loss, accuracy     (Keras: `val_` prefix)
    train/loss, Loss/val, loss/train      train/val  loss          (TensorBoard tags, either order)
    train_loss_epoch, val_loss_step       train/val  loss          (Lightning; granularity kept aside)
    total_loss, loss_cls, loss_box_reg    train   loss, loss_cls, loss_box_reg   (Detectron2, MMDetection:
                                                  their own losses keep their names; a smooth-L1
                                                  loss_box_reg is not YOLO's IoU box_loss)
    bbox/AP, bbox/AP50, segm/AP           val     mAP50_95, mAP50, mask_mAP50_95
    coco/bbox_mAP_50, accuracy/top1       val     mAP50, accuracy         (MMEngine)
    dice_coef, val_mean_io_u_5            ...     dice, iou   (Keras `_N` duplicate suffix dropped)

Unknown names are kept under a cleaned version of the raw text (split words removed), never dropped.
A total loss logged under another name (Detectron2's total_loss) is `loss` in the tables and insight.json,
and the report names it as logged (`logged_as`, CurveDiagnosis.logged_names).
`is_counter` tells the names that are neither a loss, a quality metric nor the learning rate
(num_fg_samples, anchors, momentum, ...): the diagnosis keeps them out of its charts and says so once.
Timing and counter columns (epoch, step, time, eta_seconds, ...) are the axis or bookkeeping, not metrics:
`normalise` returns None for them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

SPLIT_WORDS = {
    "train": "train", "training": "train", "trn": "train",
    "val": "val", "valid": "val", "validation": "val", "eval": "val", "evaluation": "val", "dev": "val",
    "test": "test", "testing": "test",
}
VAL_NAMESPACES = {"metrics"}  # Ultralytics writes its validation metrics under metrics/
NAMESPACES = {"metric", "result", "results", "x", "scalars", "charts"}  # group names with no meaning
GRANULARITY = {"step": "step", "batch": "step", "iter": "step", "epoch": "epoch"}
BOOKKEEPING = {
    "epoch", "epochs", "step", "steps", "global_step", "iteration", "iter", "iters", "mode", "phase",
    "time", "data_time", "eta_seconds", "eta", "rank_data_time", "memory", "timestamp", "wall_time",
    "runtime", "hp_metric", "dataloader_idx", "split",
}
TOTAL_PARTS = {"total", "mean", "mean_of", "avg", "average", "sum", "overall", "all", "full"}
LOSS_PARTS = {
    "box": "box", "bbox": "box", "box_reg": "box", "box_regression": "box", "reg": "box", "bbox_reg": "box",
    "cls": "cls", "ce": "cls", "class": "cls", "classification": "cls", "classifier": "cls",
    "dfl": "dfl", "obj": "obj", "objectness": "obj", "seg": "seg", "mask": "seg", "segmentation": "seg",
    "kpt": "kpt", "keypoint": "kpt", "kobj": "kobj", "pose": "pose",
}
HIGHER_IS_BETTER = {"accuracy", "accuracy_top5", "precision", "recall", "f1", "dice", "iou",
                    "mAP50", "mAP50_95", "mAP75", "mAP_small", "mAP_medium", "mAP_large"}
NEUTRAL = {"momentum", "weight_decay", "tau", "grad_norm", "temperature"}
EVAL_ONLY = {"precision", "recall", "f1"}  # without a split word these are validation metrics
_DOMAINS = (("mask", re.compile(r"(?:coco_)?(?:segm|mask)_(.+)")), ("", re.compile(r"(?:coco_)?b?box_(.+)")))
_METRICS = [(re.compile(p), name) for p, name in (
    (r"m?ap(?:_?50_?95|_0_5_0_95)?", "mAP50_95"),
    (r"m?ap_?(?:50|0_5)", "mAP50"),
    (r"m?ap_?(?:75|0_75)", "mAP75"),
    (r"m?ap_?(?:s|small)", "mAP_small"),
    (r"m?ap_?(?:m|medium)", "mAP_medium"),
    (r"m?ap_?(?:l|large)", "mAP_large"),
    (r"precision|prec|mean_precision", "precision"),
    (r"recall|mean_recall", "recall"),
    (r"f1|f1_score|fscore|f_score", "f1"),
    (r"acc|accuracy|top_?1|top_?1_acc(?:uracy)?|acc(?:uracy)?_top_?1|(?:sparse_)?categorical_accuracy"
     r"|binary_accuracy", "accuracy"),
    (r"top_?5|top_?5_acc(?:uracy)?|acc(?:uracy)?_top_?5|(?:sparse_)?top_k_categorical_accuracy", "accuracy_top5"),
    (r"dice|dice_coef(?:ficient)?|dice_score|m_?dice|mean_dice", "dice"),
    (r"iou|m_?iou|mean_iou|mean_io_u|jaccard(?:_index)?|iou_score", "iou"),
    (r"momentum", "momentum"),
)]
_LR = re.compile(r"(?:lr|learning_rate)_?(?:lr|pg)?_?(\d+)?")  # lr, lr0, lr/pg1, Learning Rate/lr2
_LR_OPTIMIZER = re.compile(r"lr_[a-z]+")  # Lightning LearningRateMonitor: lr-SGD, lr-Adam
_YOLOV10 = re.compile(r"(box|cls|dfl)_(om|oo)")  # one-to-many and one-to-one heads
_INDEX = re.compile(r"(.+?)_(\d+)")
_EVALUATOR = re.compile(r"(?:coco|bbox|segm|keypoints|sem_seg|panoptic_seg)[/_]", re.I)  # COCO-style results


class Name(NamedTuple):
    split: str  # "train", "val" or "test" (readers leave test values out of the run, with a note)
    name: str  # canonical, or the cleaned raw text when the name is unknown
    granularity: str | None = None  # "step" or "epoch" when the raw name said so (Lightning, Keras TB)
    known: bool = True  # False when `name` is the cleaned raw text of a name no pattern recognised


@lru_cache(maxsize=4096)
def normalise(raw: str, default_split: str | None = None, loss_namespaces: tuple[str, ...] = ()) -> Name | None:
    """(split, canonical name) of a raw column or tag; None for the step/epoch axis and timing columns.

    `default_split` is the split of a name with no split word (Keras: unprefixed = train); without it,
    mAP/precision/recall/f1 default to val and everything else to train. `loss_namespaces` are the first
    path parts under which every name that is not a quality metric or a learning rate is a loss component
    (Ultralytics: ("train", "val"), whose YOLOv10 columns box_om, cls_oo never say "loss").
    """
    name = _normalise(raw, default_split)
    if name is None or not loss_namespaces:
        return name
    first = re.split(r"[/\\]", str(raw).strip(), maxsplit=1)[0].strip().lower()
    if first not in loss_namespaces or is_loss(name.name) or is_lr(name.name) or name.name in NEUTRAL \
            or higher_is_better(name.name):
        return name
    return Name(name.split, as_component(_key(name.name)), name.granularity, True)


def logged_as(raw: str) -> str:
    """A raw column or tag as the log spells the series, without its split word, namespaces and
    granularity (lower case, words joined by _): "total_loss" and "train/total_loss" -> "total_loss",
    "val_loss", "Loss/val" and "train_loss_epoch" -> "loss". The report names a total loss logged under
    another name (Detectron2's total_loss) by it, while the table keeps the canonical `loss`."""
    drop = set(SPLIT_WORDS) | set(GRANULARITY) | NAMESPACES | VAL_NAMESPACES
    tokens = [t for part in re.split(r"[/\\]", str(raw)) for t in _key(part).split("_") if t]
    kept = [t for t in tokens if t not in drop]
    return "_".join(kept or tokens)


def as_component(key: str) -> str:
    """A loss component's canonical name for a key that does not say "loss": box_om -> box_loss_om,
    cls -> cls_loss, rle -> rle_loss (the family first, as box_loss, so charts and findings group it)."""
    head, _, rest = key.partition("_")
    family = LOSS_PARTS.get(head, head)
    return f"{family}_loss_{rest}" if rest and head in LOSS_PARTS else f"{LOSS_PARTS.get(key, key)}_loss"


def _normalise(raw: str, default_split: str | None) -> Name | None:
    text = str(raw).strip()
    domain = ""
    suffix = re.search(r"\(([BMP])\)\s*$", text)  # Ultralytics (B)ox, (M)ask, (P)ose metrics
    if suffix:
        domain = {"B": "", "M": "mask", "P": "pose"}[suffix.group(1)]
        text = text[: suffix.start()].strip()
    split, in_metrics, kept = None, False, []
    parts = [p.strip() for p in re.split(r"[/\\]", text) if p.strip()]
    for part in parts:
        low = part.lower()
        if low in SPLIT_WORDS:
            split = split or SPLIT_WORDS[low]
        elif low in VAL_NAMESPACES and len(parts) > 1:
            in_metrics = True
        elif low in NAMESPACES and len(parts) > 1:
            continue
        else:
            kept.append(part)
    if not kept:
        return None if not parts else Name(split or default_split or "train", _clean(text), None, False)
    key = _key("_".join(kept))
    if key in BOOKKEEPING:
        return None
    tokens, granularity = key.split("_"), None
    if len(tokens) > 1 and tokens[0] in SPLIT_WORDS:
        split, tokens = split or SPLIT_WORDS[tokens[0]], tokens[1:]
    elif len(tokens) > 1 and tokens[-1] in SPLIT_WORDS:
        split, tokens = split or SPLIT_WORDS[tokens[-1]], tokens[:-1]
    if len(tokens) > 1 and tokens[-1] in GRANULARITY:
        granularity, tokens = GRANULARITY[tokens[-1]], tokens[:-1]
    elif len(tokens) > 1 and tokens[0] in GRANULARITY:  # Keras TensorBoard: epoch_loss, batch_loss
        granularity, tokens = GRANULARITY[tokens[0]], tokens[1:]
    key = "_".join(tokens)
    if key in BOOKKEEPING:
        return None
    canonical = _canonical(key, domain)
    name = canonical or _clean_unknown(kept, domain)
    if split is None:
        split = "val" if in_metrics else default_split or ("val" if _eval_only(name) else "train")
    return Name(split, name, granularity, canonical is not None)


def _canonical(key: str, domain: str) -> str | None:
    loss = _loss_name(key)
    if loss:
        return loss
    lr = _lr_name(key)
    if lr:
        return lr
    prefix = f"{domain}_" if domain else ""
    for dom, pattern in _DOMAINS:
        m = pattern.fullmatch(key)
        if m and _metric_name(m.group(1)) and _metric_name(m.group(1)) != "momentum":
            return (f"{dom}_" if dom else prefix) + _metric_name(m.group(1))
    metric = _metric_name(key)
    if metric is None:
        m = _INDEX.fullmatch(key)  # Keras names a second metric of a kind precision_1, mean_io_u_5
        metric = _metric_name(m.group(1)) if m else None
    return prefix + metric if metric else None


def _metric_name(key: str) -> str | None:
    for pattern, name in _METRICS:
        if pattern.fullmatch(key):
            return name
    return None


def _loss_name(key: str) -> str | None:
    m = _YOLOV10.fullmatch(key)
    if m:
        return f"{m.group(1)}_loss_{m.group(2)}"
    m = _INDEX.fullmatch(key)
    base, index = (m.group(1), m.group(2)) if m else (key, None)
    tail = f"_{index}" if index else ""
    if base in ("loss", "losses") or (base.endswith("_loss") and base[:-5] in TOTAL_PARTS) \
            or (base.startswith("loss_") and base[5:] in TOTAL_PARTS):
        return "loss" + tail
    if re.fullmatch(r"loss_(.+)", base):
        return f"{base}{tail}"  # a framework's own loss_* name (Detectron2, MMDetection) is kept
    m = re.fullmatch(r"(.+)_loss", base)
    if not m:
        return None
    part = m.group(1)
    return f"{LOSS_PARTS.get(part, part)}_loss{tail}"


def _lr_name(key: str) -> str | None:
    m = _LR.fullmatch(key)
    if m:
        return f"lr_pg{m.group(1)}" if m.group(1) is not None else "lr"
    if _LR_OPTIMIZER.fullmatch(key):
        return "lr"
    return None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _clean(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^\w./-]+", "_", text.strip())).strip("_") or "value"


def _clean_unknown(kept: list[str], domain: str) -> str:
    """The raw name minus split words and granularity suffixes, with its case kept."""
    text = "/".join(kept)
    words = "|".join(list(SPLIT_WORDS) + ["epoch", "batch"])
    text = re.sub(rf"^(?:{words})[_\s-]+", "", text, flags=re.I)
    text = re.sub(rf"[_\s-]+(?:{'|'.join(SPLIT_WORDS)}|step|epoch)$", "", text, flags=re.I)
    return (f"{domain}_" if domain else "") + _clean(text)


def _eval_only(name: str) -> bool:
    base = _strip_domain(name)
    return base.startswith("mAP") or base in EVAL_ONLY or bool(_EVALUATOR.match(name))


def _strip_domain(name: str) -> str:
    for prefix in ("mask_", "pose_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def is_loss(name: str) -> bool:
    """A loss (lower is better): the total `loss`, a component, or any name with the word loss in it."""
    return bool(re.search(r"(?:^|[^a-z])loss(?:$|[^a-z])", name.lower()))


def is_component(name: str) -> bool:
    """A part of the total loss: box/cls/dfl/obj/seg_loss, Detectron2's loss_* (rpn_cls_loss, ...),
    YOLOv10's per-head losses, indexed auxiliary losses. The total itself is `loss`."""
    return is_loss(name) and name != "loss"


def loss_component(name: str) -> str | None:
    """The component family of a loss name ("box" for box_loss and box_loss_om, "box_reg" for
    loss_box_reg), None for the total."""
    if not is_component(name):
        return None
    m = re.fullmatch(r"(.+?)_loss(?:_.+)?", name) or re.fullmatch(r"loss_(.+?)(?:_\d+)?", name)
    return m.group(1) if m else name


def is_counter(name: str) -> bool:
    """Neither a loss, a quality metric nor the learning rate: a count (num_fg_samples, anchors), an
    optimiser setting (momentum) or a name that says nothing of its direction. Not charted."""
    return not is_loss(name) and not is_lr(name) and higher_is_better(name) is None


def is_lr(name: str) -> bool:
    return name == "lr" or name.startswith("lr_pg")


def is_fraction(name: str) -> bool:
    """A metric bounded to 0..1 (accuracy, precision, recall, f1, dice, iou, every mAP)."""
    base = _strip_domain(name)
    return base in HIGHER_IS_BETTER or bool(re.match(r"(?:bbox|segm|keypoints)/AP", name))


def higher_is_better(name: str) -> bool | None:
    """True for accuracy/mAP/dice/iou/precision/recall, False for losses and errors, None for lr and the
    rest (momentum, counters, unknown names that say nothing about their direction)."""
    if is_loss(name):
        return False
    if is_lr(name) or name in NEUTRAL:
        return None
    if _strip_domain(name) in HIGHER_IS_BETTER:
        return True
    low = name.lower()
    if re.search(r"(?:^|[^a-z])(?:err|error|mae|mse|rmse|false_negative|false_positive)(?:$|[^a-z])", low):
        return False
    if re.search(r"(?:^|[^a-z])(?:acc|accuracy|m?ap\d*|precision|recall|f1|dice|iou|miou|auc)(?:$|[^a-z])", low):
        return True
    return None
