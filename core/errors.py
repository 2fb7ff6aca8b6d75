"""The one-line error messages every front end shows, and the error type of unreadable or unwritable photos."""


class ImageError(Exception):
    """A photo that cannot be read or written; the message names the file and the cause."""


def one_line(e: BaseException, limit: int = 200) -> str:
    """An exception's message on one short line (its type name when it has none), cut at a word if too long."""
    text = " ".join(str(e).split()) or type(e).__name__
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def printable(text: str) -> str:
    """text with control characters escaped (a newline in a file name shows as \\n), so it stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
