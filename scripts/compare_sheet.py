"""A contact sheet comparing models on black-and-white photos: one row per photo, original | model 1 | model 2 ...

    .venv/bin/python scripts/compare_sheet.py resources/samples -m resources/models/a.safetensors \
        -m resources/models/b.safetensors -o sheet.jpg [--height 240] [--columns 1]
    # the app's before/after strip of one model: originals in a row above, colorized below
    .venv/bin/python scripts/compare_sheet.py resources/samples -m resources/models/a.safetensors \
        -o resources/models/a-strip.jpg --strip --height 72

How the model cards' sample sheets and the app's model strips are made (on the bundled public-domain samples),
and how to look at what models do to any folder of old photos without writing files beside them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.batch import find_photos  # noqa: E402
from core.images import open_preview  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path)
    p.add_argument("-m", "--model", type=Path, action="append", required=True)
    p.add_argument("-o", "--out", type=Path, required=True)
    p.add_argument("--height", type=int, default=240, help="row height in pixels")
    p.add_argument("--columns", type=int, default=1, help="photos side by side per row")
    p.add_argument("--render-size", type=int, default=256)
    p.add_argument("--limit", type=int)
    p.add_argument("--strip", action="store_true", help="one model: originals in a row, colorized below them")
    args = p.parse_args()
    if args.strip and len(args.model) != 1:
        p.error("--strip shows one model")

    from core.colorizer import Colorizer

    files = find_photos(args.folder)[:args.limit]
    colorizers = [Colorizer(m, render_size=args.render_size) for m in args.model]
    cells = []
    for f in files:
        gray = open_preview(f, 4 * args.height).convert("L")
        row = [gray.convert("RGB")] + [c.colorize(gray).convert("RGB") for c in colorizers]
        w = round(gray.width * args.height / gray.height)
        cells.append([im.resize((w, args.height), Image.LANCZOS) for im in row])
    if args.strip:
        save_strip(cells, args.out)
        return
    groups = [cells[i:i + args.columns] for i in range(0, len(cells), args.columns)]
    gap = 4
    label_h = 18
    width = max(sum(sum(im.width + gap for im in cell) + 3 * gap for cell in g) for g in groups)
    sheet = Image.new("RGB", (width, label_h + len(groups) * (args.height + gap)), "white")
    draw = ImageDraw.Draw(sheet)
    names = ["original"] + [m.stem for m in args.model]
    x = 0
    for name, im in zip(names, groups[0][0]):
        draw.text((x + 4, 3), name, fill="black")
        x += im.width + gap
    for r, g in enumerate(groups):
        x, y = 0, label_h + r * (args.height + gap)
        for cell in g:
            for im in cell:
                sheet.paste(im, (x, y))
                x += im.width + gap
            x += 3 * gap
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=88)
    print(f"{args.out}: {len(files)} photos x {len(names)} columns")


def save_strip(cells: list[list[Image.Image]], out: Path) -> None:
    """Originals side by side on top, each one's colorized version under it."""
    gap = 2
    width = sum(c[0].width for c in cells) + gap * (len(cells) - 1)
    height = cells[0][0].height
    strip = Image.new("RGB", (width, 2 * height + gap), "white")
    x = 0
    for original, colour in cells:
        strip.paste(original, (x, 0))
        strip.paste(colour, (x, height + gap))
        x += original.width + gap
    out.parent.mkdir(parents=True, exist_ok=True)
    strip.save(out, quality=85)
    print(f"{out}: {len(cells)} photos, before above, after below")


if __name__ == "__main__":
    main()
