"""Can this machine make report.pdf? WeasyPrint needs the Pango text library from the system.

`pdf_problem()` is a cheap check made before any work (it loads the library WeasyPrint would load,
by the same names, without importing WeasyPrint); `pdf_unavailable(exc)` words the failure of the
import itself, which is the final word. Both say what to install and that --no-pdf writes the rest.
"""

from __future__ import annotations

import ctypes
import importlib.util

from insight.errors import UsageError

# The names WeasyPrint's text/ffi.py opens Pango by (Linux, Windows, macOS), the first that loads wins.
PANGO_NAMES = ("libpango-1.0.so.0", "pango-1.0-0", "libpango-1.0-0", "pango-1.0", "libpango-1.0.dylib")
HINT = ("install the system packages the README lists under 'System packages' (Debian/Ubuntu: "
        "libpango-1.0-0 libpangoft2-1.0-0), or pass --no-pdf (or no-pdf = true in insight.toml) to write "
        "report.html and insight.json only")


def pdf_problem() -> str | None:
    """Why report.pdf cannot be made here, or None when WeasyPrint and Pango are both there."""
    if importlib.util.find_spec("weasyprint") is None:
        return "report.pdf needs WeasyPrint, which is not installed"
    if any(_loads(name) for name in PANGO_NAMES):
        return None
    import ctypes.util  # as cffi does when a name does not load: ask the system where the library is

    found = (ctypes.util.find_library(name.removeprefix("lib").split(".so")[0]) for name in PANGO_NAMES)
    if any(_loads(path or "") for path in found):
        return None
    return "report.pdf needs the Pango library (libpango-1.0), which this system does not have"


def _loads(name: str) -> bool:
    if not name:
        return False
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def check_pdf() -> None:
    """UsageError (exit 2) when report.pdf cannot be made here."""
    problem = pdf_problem()
    if problem:
        raise UsageError(f"{problem}: {HINT}")


def pdf_unavailable(exc: BaseException) -> UsageError:
    """The error for WeasyPrint failing to import (a library it loads is missing or broken)."""
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return UsageError(f"report.pdf cannot be made: WeasyPrint could not start ({detail}); {HINT}")
