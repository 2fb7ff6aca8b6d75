"""Where each input folder's photos go inside an output folder, remembered in that folder.

The rule, the same for `colorize-folder` and the app: the first folder colorized into an output folder maps
straight into it (`colorize-folder ~/Scans -o ~/Scans-colour` mirrors Scans in Scans-colour); every other folder
gets a subfolder named after it ("Holiday", or "Holiday 2" when that name is taken). Photos given one by one go
to the top. The choice is written to `.shoebox-colorizer.json` in the output folder when a batch starts, so a
photo's output path never changes with what else is listed or added later: a finished photo is never redone
into a new place.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.files import resolved_path, write_text_atomic

MAP_FILE = ".shoebox-colorizer.json"
_VERSION = 1


@dataclass
class OutputMap:
    """input folder (resolved, as text) -> its subfolder in the output folder ("" = straight in)."""

    out_dir: Path
    folders: dict[str, str] = field(default_factory=dict)
    _recorded: dict[str, str] = field(default_factory=dict)  # what the file holds

    @classmethod
    def load(cls, out_dir: str | os.PathLike) -> "OutputMap":
        """The map recorded in out_dir (empty when there is none, or it cannot be read)."""
        out_dir = Path(out_dir)
        try:
            data = json.loads((out_dir / MAP_FILE).read_text(encoding="utf-8"))
            folders = {str(k): str(v) for k, v in data.get("folders", {}).items()}
        except (OSError, ValueError, AttributeError):
            folders = {}
        return cls(out_dir, dict(folders), dict(folders))

    def subfolder(self, folder: Path) -> str:
        """The subfolder an input folder's photos go to, choosing one now if it has none yet."""
        key = str(resolved_path(folder))
        if key not in self.folders:
            taken = set(self.folders.values())
            if "" not in taken:
                self.folders[key] = ""
            else:
                name = Path(key).name or "Photos"
                candidate, n = name, 2
                while candidate in taken:
                    candidate, n = f"{name} {n}", n + 1
                self.folders[key] = candidate
        return self.folders[key]

    def save(self) -> None:
        """Record the choices made (a no-op when nothing is new); an OSError if the folder can't be written."""
        if self.folders == self._recorded:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.out_dir / MAP_FILE,
                          json.dumps({"version": _VERSION, "folders": self.folders}, indent=1, ensure_ascii=False))
        self._recorded = dict(self.folders)
