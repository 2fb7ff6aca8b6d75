"""Wording shown to the person: time left, durations, failure reasons. Pure functions, no Qt."""

from __future__ import annotations


def eta_text(seconds: float) -> str:
    """Time left in words: 'less than a minute left', 'about 5 min left', 'about 1.5 h left'."""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min left"
    return f"about {seconds / 3600:.1f} h left"


def duration_text(seconds: float) -> str:
    """A duration in words: '12.3 s' or '4 min 5 s'."""
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


def short_reason(message: str, path: str) -> str:
    """A failure message without the leading file path (the list already shows the file)."""
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
