"""Where the real third-party samples live (../shared/realdata); tests skip cleanly without them."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REALDATA = REPO.parent / "shared" / "realdata"


def realdata(sub: str = "") -> Path:
    path = REALDATA / sub
    if not path.exists():
        pytest.skip(f"real-data samples not available at {path}")
    return path
