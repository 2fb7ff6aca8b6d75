"""Model checkpoints as the model picker shows them: which files colorize, their names and their cards.

Reads only checkpoint headers (core.checkpoint); nothing here imports torch.
"""

from __future__ import annotations

from pathlib import Path

from core.checkpoint import CheckpointError, read_metadata


def read_colorizer_card(path: Path) -> dict:
    """The card of a checkpoint that can colorize; a CheckpointError for any other file."""
    header = read_metadata(path)
    if header["kind"] != "generator":
        raise CheckpointError(f"{path}: a {header['kind'] or 'unknown'} model, not one that colorizes")
    return header["card"]


def model_label(path: Path, card: dict) -> str:
    """How a model is named in the picker: its card's name, else its file name."""
    return str(card.get("name") or path.stem)


def model_summary(card: dict) -> str:
    """One or two plain sentences: what the model is good for and what to watch out for (its card's summary)."""
    summary = card.get("summary")
    return str(summary) if isinstance(summary, str) and summary.strip() else "No description."


def model_strip(path: Path) -> Path | None:
    """The before/after strip of the bundled sample photos beside a model (NAME-strip.jpg), if there is one."""
    strip = path.with_name(f"{path.stem}-strip.jpg")
    return strip if strip.is_file() else None


def model_licence(path: Path) -> str:
    """The licence a model's card states, or what is known of it."""
    try:
        card = read_colorizer_card(path)
    except CheckpointError:
        return "unreadable"
    return str(card.get("licence") or card.get("license") or "no licence stated")


def card_markdown(path: Path, card: dict) -> str:
    """The model card beside the file (same name, .md) when there is one, else the card from the file."""
    md = path.with_suffix(".md")
    if md.is_file():
        try:
            return md.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass
    if not card:
        return f"**{path.name}** — no model card."
    lines = [f"**{path.name}**", ""]
    lines += [f"- {k}: {v}" for k, v in sorted(card.items()) if not isinstance(v, (dict, list))]
    return "\n".join(lines)
