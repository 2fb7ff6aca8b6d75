"""The README's hints picture: a photo, its colorized version, and the same with a few colour hints (marked).

    .venv/bin/python scripts/hints_picture.py resources/samples/keller_chaplin_1919.jpg docs/hints.json docs/hints.jpg \
        [--checkpoint MODEL] [--height 360]

hints.json holds the photo's hints as colorize-folder's --hints file does ({"NAME": [{"x":..,"y":..,"color":..}]}).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.hints import load_hints_file  # noqa: E402
from core.images import open_preview  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("photo", type=Path)
    p.add_argument("hints", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--checkpoint", type=Path)
    p.add_argument("--height", type=int, default=360)
    args = p.parse_args()

    from core.colorizer import Colorizer

    hints = load_hints_file(args.hints)[args.photo.name]
    photo = open_preview(args.photo, 100_000).convert("L")  # the whole photo, upright
    c = Colorizer(args.checkpoint)
    plain, hinted = c.colorize(photo), c.colorize(photo, hints)
    scale = args.height / photo.height
    size = (round(photo.width * scale), args.height)
    panels = [im.convert("RGB").resize(size, Image.LANCZOS) for im in (photo, plain, hinted)]
    draw = ImageDraw.Draw(panels[2])
    for h in hints:
        x, y = h.x * scale, h.y * scale
        draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=h.color, outline="white", width=2)
    gap = 6
    sheet = Image.new("RGB", (3 * size[0] + 2 * gap, size[1] + 22), "white")
    labels = ["original", "colorized", f"with {len(hints)} hints"]
    text = ImageDraw.Draw(sheet)
    for i, (panel, label) in enumerate(zip(panels, labels)):
        sheet.paste(panel, (i * (size[0] + gap), 22))
        text.text((i * (size[0] + gap) + 4, 5), label, fill="black")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=88)
    print(f"{args.out}: {photo.width}x{photo.height}, {len(hints)} hints")


if __name__ == "__main__":
    main()
