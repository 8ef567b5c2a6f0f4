"""Split names as layouts spell them, mapped to the names the report uses (docs/numbers.md, "Splits")."""

from __future__ import annotations

import re

_ALIASES = {
    "train": "train", "training": "train", "trn": "train", "train2017": "train", "train2014": "train",
    "val": "val", "valid": "val", "validation": "val", "val2017": "val", "val2014": "val", "dev": "val",
    "test": "test", "testing": "test", "test2017": "test", "test-dev": "test", "tst": "test",
}
KNOWN_SPLIT_WORDS = frozenset(_ALIASES)


def split_name(raw: str) -> str:
    """'valid' -> 'val', 'Training' -> 'train', 'instances_val2017' -> 'val'; other names kept, lower-cased."""
    word = raw.strip().lower()
    if word in _ALIASES:
        return _ALIASES[word]
    for part in re.split(r"[_\-.\s]+", word):
        if part in _ALIASES:
            return _ALIASES[part]
    return word


def is_split_word(raw: str) -> bool:
    return raw.strip().lower() in KNOWN_SPLIT_WORDS
