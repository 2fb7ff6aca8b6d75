"""Training data: a folder of colour photos, decoded and converted to Lab once into a memory-mapped store.

The store (the seed's MIRFLICKR ``L.npy``/``ab.npy`` idea, for photos of any size) is a directory with
``L.npy`` (all pixels' L*, float32, flat), ``ab.npy`` (N x 2, float32) and ``index.json`` (name, offset,
height, width of each photo). Epochs then read crops straight from the page cache instead of re-decoding JPEGs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import lab
from core.batch import find_photos
from core.images import ImageError, open_rgb

CACHE_VERSION = 2  # 2: skipped files stored as [path, message]
# The colour test: a photo is in colour when a tenth of its pixels have a chroma of COLOUR_CHROMA or more, in
# more than one hue (a sepia or tinted print has its chroma in a single hue: a concentration near 1).
COLOUR_CHROMA = 6.0
TINT_CONCENTRATION = 0.985


def colour_test(rgb: np.ndarray) -> str | None:
    """None for a colour photo (H x W x 3 uint8); else why it is not one: "black and white" or "sepia or
    tinted". Measured here: 387 of 400 train/ photos and 222 of 233 eval/ photos pass; all 30 bw_historic/ fail."""
    lab_img = lab.rgb_to_lab(rgb[:: max(1, rgb.shape[0] // 128), :: max(1, rgb.shape[1] // 128)])
    a, b = lab_img[..., 1].ravel(), lab_img[..., 2].ravel()
    chroma = np.hypot(a, b)
    if np.percentile(chroma, 90) < COLOUR_CHROMA:
        return "black and white"
    coloured = chroma > COLOUR_CHROMA
    concentration = abs(np.exp(1j * np.arctan2(b[coloured], a[coloured])).mean())
    return "sepia or tinted" if concentration > TINT_CONCENTRATION else None


@dataclass
class LabStore:
    """Read side of the cache: photo i's L (h x w) and ab (h x w x 2) as views into the memmaps."""

    root: Path
    names: list[str]
    offsets: np.ndarray
    shapes: np.ndarray  # (n, 2) heights, widths
    skipped: list = field(default_factory=list)  # (path, one-line reason) of the files left out

    @classmethod
    def open(cls, root: str | os.PathLike) -> "LabStore":
        root = Path(root)
        index = json.loads((root / "index.json").read_text())
        store = cls(root, index["names"], np.array(index["offsets"], dtype=np.int64),
                    np.array(index["shapes"], dtype=np.int64).reshape(-1, 2))
        store.skipped = [(path, msg) for path, msg in index.get("skipped", [])]
        store._l = np.load(root / "L.npy", mmap_mode="r")
        store._ab = np.load(root / "ab.npy", mmap_mode="r")
        return store

    def __len__(self) -> int:
        return len(self.names)

    def get(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        h, w = self.shapes[i]
        o = self.offsets[i]
        return self._l[o:o + h * w].reshape(h, w), self._ab[o:o + h * w].reshape(h, w, 2)


def build_store(files: list[Path], root: str | os.PathLike, max_side: int = 320,
                log=print, colour_only: bool = False) -> LabStore:
    """Decode each photo once (longer side capped at max_side) and write its Lab into the store at root.

    Unreadable files, and with colour_only the photos that fail colour_test, are reported through log and
    skipped. The store is written under a temporary name and renamed when complete, so a killed build never
    leaves a store that looks finished.
    """
    from PIL import Image

    root = Path(root)
    tmp = root.with_name(root.name + f".tmp-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    images, names, skipped = [], [], []
    total = 0
    for f in files:
        try:
            im = open_rgb(f)
        except ImageError as e:
            skipped.append((str(f), str(e)))
            continue
        if max(im.size) > max_side:
            s = max_side / max(im.size)
            im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.LANCZOS)
        why = colour_test(np.asarray(im)) if colour_only else None
        if why:
            skipped.append((str(f), f"{f}: not a colour photo ({why})"))
            continue
        images.append(im)
        names.append(str(f))
        total += im.width * im.height
    l_mm = np.lib.format.open_memmap(tmp / "L.npy", mode="w+", dtype=np.float32, shape=(total,))
    ab_mm = np.lib.format.open_memmap(tmp / "ab.npy", mode="w+", dtype=np.float32, shape=(total, 2))
    offsets, shapes, o = [], [], 0
    for im in images:
        labim = lab.rgb_to_lab(np.asarray(im))
        n = im.width * im.height
        l_mm[o:o + n] = labim[..., 0].reshape(-1)
        ab_mm[o:o + n] = labim[..., 1:].reshape(-1, 2)
        offsets.append(o)
        shapes.append((im.height, im.width))
        o += n
    l_mm.flush()
    ab_mm.flush()
    del l_mm, ab_mm
    (tmp / "index.json").write_text(json.dumps(
        {"version": CACHE_VERSION, "max_side": max_side, "colour_only": colour_only, "names": names,
         "offsets": offsets, "shapes": shapes, "skipped": skipped}))
    for _, msg in skipped:
        log(f"skipped: {msg}")
    if root.exists():
        import shutil

        shutil.rmtree(root)
    os.replace(tmp, root)
    return LabStore.open(root)


def default_cache_dir(data: Path, max_side: int, colour_only: bool = False) -> Path:
    extra = "|colour" if colour_only else ""
    key = hashlib.sha1(f"{Path(data).resolve()}|{max_side}|v{CACHE_VERSION}{extra}".encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "shoebox-colorizer" / "lab"
    return base / key


def open_or_build_store(data: str | os.PathLike, cache: str | os.PathLike | None = None,
                        max_side: int = 320, log=print, colour_only: bool = False) -> LabStore:
    """The Lab store for a data folder: reused when it lists the same files, else (re)built."""
    data = Path(data)
    files = find_photos(data)
    if not files:
        raise FileNotFoundError(f"{data}: no images found")
    root = Path(cache) if cache else default_cache_dir(data, max_side, colour_only)
    if (root / "index.json").exists():
        index = json.loads((root / "index.json").read_text())
        if index.get("version") == CACHE_VERSION and index.get("max_side") == max_side and \
                index.get("colour_only", False) == colour_only:
            store = LabStore.open(root)
            known = set(store.names) | {path for path, _ in index.get("skipped", [])}
            if known == {str(f) for f in files}:
                return store
    log(f"building Lab cache of {len(files)} photos in {root}")
    return build_store(files, root, max_side=max_side, log=log, colour_only=colour_only)


def ab_sample(store: LabStore, indices: list[int], every: int = 16) -> np.ndarray:
    """Every `every`-th pixel's a*b* (N x 2) of the given photos: enough to count colour frequencies."""
    return np.concatenate([store.get(i)[1].reshape(-1, 2)[::every] for i in indices])


def split_indices(n: int, val_fraction: float = 0.05, seed: int = 0) -> tuple[list[int], list[int]]:
    """A fixed, seeded train/validation split of range(n)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(n * val_fraction)) if n > 1 else 0
    return sorted(order[n_val:]), sorted(order[:n_val])


class LabCrops:
    """Dataset of (L, ab) pairs at size x size, normalised for the model.

    The loop sets `epoch` (and, for progressive resizing, `size`) before each epoch.

    Training: random resized crop (area 25-100 %, aspect 3/4-4/3) and horizontal flip, drawn from an RNG
    keyed by (seed, epoch, item), so an epoch is the same whenever and in whatever order it is replayed.
    Validation: the whole photo resized to size x size, as the Colorizer renders it.
    """

    def __init__(self, store: LabStore, indices: list[int], size: int, train: bool, seed: int = 0,
                 normalisation: lab.Normalisation = lab.Normalisation()):
        self.store, self.indices, self.size, self.train, self.seed = store, list(indices), size, train, seed
        self.normalisation = normalisation  # the model's (its config says how it is fed)
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.indices)

    @staticmethod
    def _crop_box(rng: random.Random, h: int, w: int) -> tuple[int, int, int, int]:
        for _ in range(10):
            area = h * w * rng.uniform(0.25, 1.0)
            ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
            cw, ch = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
            if 0 < cw <= w and 0 < ch <= h:
                return rng.randint(0, h - ch), rng.randint(0, w - cw), ch, cw
        side = min(h, w)
        return (h - side) // 2, (w - side) // 2, side, side

    def __getitem__(self, i: int):
        import torch
        import torch.nn.functional as F

        l_img, ab_img = self.store.get(self.indices[i])
        rng = random.Random(f"{self.seed}/{self.epoch}/{i}")
        if self.train:
            y, x, ch, cw = self._crop_box(rng, *l_img.shape)
            l_img, ab_img = l_img[y:y + ch, x:x + cw], ab_img[y:y + ch, x:x + cw]
        t = torch.from_numpy(np.concatenate([l_img[..., None], ab_img], -1)).permute(2, 0, 1)[None]
        if self.train and rng.random() < 0.5:
            t = t.flip(-1)
        t = F.interpolate(t, size=(self.size, self.size), mode="bilinear", antialias=True,
                          align_corners=False)[0]
        return self.normalisation.normalize_l(t[:1]), self.normalisation.normalize_ab(t[1:])


def epoch_order(n: int, epoch: int, seed: int, shuffle: bool, rank: int = 0, world: int = 1) -> list[int]:
    """The dataset indices one process takes in an epoch: shuffled by (seed, epoch), then this rank's equal
    share (wrapping around to pad), so a replayed epoch is the same on any number of restarts."""
    idxs = list(range(n))
    if shuffle:
        random.Random(f"{seed}/{epoch}").shuffle(idxs)
    per_rank = math.ceil(n / world)
    return (idxs * world)[:per_rank * world][rank::world]


def batches(dataset: LabCrops, order: list[int], batch_size: int, drop_last: bool, start: int = 0):
    """Yield stacked (L, ab) batches of dataset items in order, from batch number start on."""
    import torch

    for b in range(start, n_batches(len(order), batch_size, drop_last)):
        items = [dataset[i] for i in order[b * batch_size:(b + 1) * batch_size]]
        yield torch.stack([l for l, _ in items]), torch.stack([ab for _, ab in items])


def n_batches(n_items: int, batch_size: int, drop_last: bool) -> int:
    return n_items // batch_size if drop_last else math.ceil(n_items / batch_size)
