"""The colour hints placed in the app, per photo, kept in the user's data folder (never beside the originals).

One JSON file: {"photos": {absolute photo path: {"hints": [...], "colorized_with": [...]}}}. colorized_with is
what the photo's output was last made with, so a photo whose hints changed since is colorized again.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.files import write_text_atomic
from core.hints import Hint, HintsError, parse_hint


class HintStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._photos: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            for photo, entry in data.get("photos", {}).items():
                self._photos[photo] = {k: [parse_hint(h, f"{self.path}: {photo}") for h in entry.get(k, [])]
                                       for k in ("hints", "colorized_with")}
        except (OSError, ValueError, AttributeError, HintsError):
            self._photos = {}  # none yet, or unreadable: start afresh rather than fail the app

    def get(self, photo: str) -> list[Hint]:
        return list(self._photos.get(photo, {}).get("hints", []))

    def set(self, photo: str, hints: list[Hint]) -> None:
        entry = self._photos.setdefault(photo, {"hints": [], "colorized_with": []})
        entry["hints"] = list(hints)
        self._save()

    def needs_redo(self, photo: str) -> bool:
        """Whether the photo's hints changed since its output was last made."""
        entry = self._photos.get(photo)
        return entry is not None and entry["hints"] != entry["colorized_with"]

    def colorized(self, photo: str) -> None:
        """The photo's output was just made with its current hints."""
        entry = self._photos.get(photo)
        if entry is not None and entry["colorized_with"] != entry["hints"]:
            entry["colorized_with"] = list(entry["hints"])
            self._save()

    def export(self, roots: list[Path], photos: list[str], dest: Path) -> int:
        """Write the hints of the listed photos in colorize-folder's --hints format; returns how many photos.

        A photo is named as colorize-folder names it when given the same inputs: its path relative to the
        folder it was added with, or its file name when it was added on its own.
        """
        out = {}
        for photo in photos:
            hints = self.get(photo)
            if not hints:
                continue
            p = Path(photo)
            root = next((r for r in roots if r.is_dir() and r in p.parents), None)
            key = p.relative_to(root).as_posix() if root else p.name
            out[key] = [h.to_json() for h in hints]
        write_text_atomic(dest, json.dumps(out, indent=2, ensure_ascii=False))
        return len(out)

    def _save(self) -> None:
        data = {"photos": {p: {k: [h.to_json() for h in v] for k, v in e.items()}
                           for p, e in self._photos.items() if e["hints"] or e["colorized_with"]}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(data, indent=1, ensure_ascii=False))
