"""Reading values back from QSettings, which may hand back strings, single items or None."""

from __future__ import annotations


def as_list(value) -> list:
    """A QSettings list value (an INI file gives a single string for a one-item list, None for none)."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def as_int(value, default: int) -> int:
    """value as an int, else default (a missing or garbled setting)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def as_float(value, default: float) -> float:
    """value as a float, else default (a missing or garbled setting)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def as_dict(value) -> dict:
    """A QSettings mapping value (None or anything else garbled: empty)."""
    return dict(value) if isinstance(value, dict) else {}
