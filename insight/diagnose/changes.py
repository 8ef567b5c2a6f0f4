"""What changed since the last report: a pure comparison of two insight.json documents.

Both sides are the JSON form of the current schema (the baseline is read from a previous insight.json;
one of the previous schema, insight/1, is first brought to the current key names by `upgrade`), so the
comparison only relies on keys the schema keeps (docs/json.md).
"""

from __future__ import annotations

from dataclasses import dataclass

# A class's share "moved" when it changes by at least this many percentage points (our choice).
SHARE_MOVE_POINTS = 1.0


@dataclass(frozen=True)
class ClassChange:
    name: str
    count_before: int
    count_after: int
    share_pct_before: float
    share_pct_after: float
    tier_before: str
    tier_after: str


@dataclass(frozen=True)
class HealthChange:
    code: str
    severity: str
    count_before: int
    count_after: int


@dataclass(frozen=True)
class Changes:
    baseline: str  # the file compared against
    classes_added: tuple[str, ...]
    classes_removed: tuple[str, ...]
    classes_moved: tuple[ClassChange, ...]  # count changed, share moved, or tier changed
    tier_changes: tuple[ClassChange, ...]
    health_new: tuple[HealthChange, ...]
    health_resolved: tuple[HealthChange, ...]
    health_changed: tuple[HealthChange, ...]
    scenario_before: str | None
    scenario_after: str | None
    total_before: int | None
    total_after: int | None

    @property
    def nothing_changed(self) -> bool:
        return not (self.classes_added or self.classes_removed or self.classes_moved or self.health_new
                    or self.health_resolved or self.health_changed
                    or self.scenario_before != self.scenario_after)


PREVIOUS_SCHEMA = "insight/1"


def upgrade(doc: dict) -> dict:
    """An insight/1 document with the key names of the current schema, for the parts compare reads:
    `version` became `insight_version`, and a class's `share` (a fraction, 0..1) became `share_pct`
    (per cent). A key of the wrong type is left as it is, for baseline_problem to word. Documents of
    the current schema are returned unchanged."""
    if doc.get("schema") != PREVIOUS_SCHEMA:
        return doc
    doc = {("insight_version" if k == "version" else k): v for k, v in doc.items()}
    rep = doc.get("representation")
    if isinstance(rep, dict) and isinstance(rep.get("classes"), list):
        doc["representation"] = {**rep, "classes": [_upgrade_class(c) for c in rep["classes"]]}
    return doc


def _upgrade_class(c):
    if not isinstance(c, dict) or "share" not in c:
        return c
    share = c["share"]
    pct = 100 * share if isinstance(share, (int, float)) and not isinstance(share, bool) else share
    return {("share_pct" if k == "share" else k): (pct if k == "share" else v) for k, v in c.items()}


def baseline_problem(doc: dict) -> str | None:
    """The first part of a baseline document that `compare` could not read, worded; None when it
    holds every key compare relies on (docs/json.md) with the right type."""
    rep = doc.get("representation")
    if rep is not None:
        if not isinstance(rep, dict) or not isinstance(rep.get("classes", []), list):
            return "representation.classes is not a list"
        if not isinstance(rep.get("total", 0), (int, type(None))):
            return "representation.total is not a whole number"
        for i, c in enumerate(rep.get("classes", [])):
            problem = _record_problem(c, {"name": str, "count": int, "share_pct": (int, float),
                                                "tier": str})
            if problem:
                return f"representation.classes[{i}]{problem}"
    health = doc.get("health", [])
    if not isinstance(health, list):
        return "health is not a list"
    for i, h in enumerate(health):
        problem = _record_problem(h, {"code": str})
        if problem or not isinstance(h.get("count", 0), int) or not isinstance(h.get("severity", ""), str):
            return f"health[{i}]{problem or ' has a count or severity of the wrong type'}"
    curves = doc.get("curves")
    if curves is not None and (not isinstance(curves, dict)
                               or not isinstance(curves.get("scenario"), (str, type(None)))):
        return "curves.scenario is neither a letter nor null"
    return None


def _record_problem(record, fields: dict) -> str:
    if not isinstance(record, dict):
        return " is not an object"
    for key, kind in fields.items():
        if key not in record:
            return f" has no {key!r}"
        if not isinstance(record[key], kind) or isinstance(record[key], bool):
            return f".{key} has the wrong type ({type(record[key]).__name__})"
    return ""


def _classes(doc: dict) -> dict[str, dict]:
    rep = doc.get("representation") or {}
    return {c["name"]: c for c in rep.get("classes", [])}


def _health(doc: dict) -> dict[str, dict]:
    return {h["code"]: h for h in doc.get("health", [])}


def _scenario(doc: dict) -> str | None:
    return (doc.get("curves") or {}).get("scenario")


def compare(before: dict, after: dict, baseline: str) -> Changes:
    old, new = _classes(before), _classes(after)
    both = [n for n in new if n in old]
    changed = [_class_change(old[n], new[n]) for n in both]
    moved = tuple(c for c in changed if c.count_before != c.count_after or c.tier_before != c.tier_after
                  or abs(c.share_pct_after - c.share_pct_before) >= SHARE_MOVE_POINTS)
    h_old, h_new = _health(before), _health(after)
    return Changes(
        baseline=baseline,
        classes_added=tuple(n for n in new if n not in old),
        classes_removed=tuple(n for n in old if n not in new),
        classes_moved=moved,
        tier_changes=tuple(c for c in changed if c.tier_before != c.tier_after),
        health_new=tuple(_health_change(None, h_new[c]) for c in h_new if c not in h_old),
        health_resolved=tuple(_health_change(h_old[c], None) for c in h_old if c not in h_new),
        health_changed=tuple(_health_change(h_old[c], h_new[c]) for c in h_new
                             if c in h_old and h_old[c].get("count") != h_new[c].get("count")),
        scenario_before=_scenario(before), scenario_after=_scenario(after),
        total_before=(before.get("representation") or {}).get("total"),
        total_after=(after.get("representation") or {}).get("total"),
    )


def _class_change(a: dict, b: dict) -> ClassChange:
    return ClassChange(name=b["name"], count_before=int(a["count"]), count_after=int(b["count"]),
                       share_pct_before=float(a["share_pct"]), share_pct_after=float(b["share_pct"]),
                       tier_before=a["tier"], tier_after=b["tier"])


def _health_change(a: dict | None, b: dict | None) -> HealthChange:
    ref = b or a
    return HealthChange(code=ref["code"], severity=ref.get("severity", "info"),
                        count_before=int(a.get("count", 0)) if a else 0,
                        count_after=int(b.get("count", 0)) if b else 0)
