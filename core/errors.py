"""Helpers for the one-line error messages every front end shows."""


def one_line(e: BaseException) -> str:
    """An exception's message on one short line (its type name when it has none)."""
    return " ".join(str(e).split())[:200] or type(e).__name__
