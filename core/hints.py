"""Colour hints: "this dress was blue". A hint is a point of the upright photo and a colour; the photo takes the
hint's a*b* there (its own lightness stays), and the change spreads over the region the point belongs to.

The method, chosen by measurement (benchmarks/hints.py, RESULTS.md): edge-aware propagation of the correction,
after Levin, Lischinski & Weiss 2004 ("Colorization using optimization"), with the model's prediction as the prior.
On a coarse grid (a quarter of the render size), the correction d = hint colour - predicted colour is fixed at
each hint and spreads to minimise

    sum over neighbours r, s of  w_rs (d_r - d_s)^2   +   mu * sum over pixels of  d_r^2,

with w_rs = exp(-(L_r - L_s)^2 / (2 sigma^2)): the correction flows freely across similar lightness and hardly at
all across an edge, and mu lets it fade away from the hints, where the prediction stays as it was. One
sparse linear solve per photo; a photo without hints never reaches this module.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIGMA_L = 4.0  # lightness difference (L*) at which neighbours stop sharing a correction
MU = 1e-3  # pull of the correction back to 0 (the prediction): it fades over ~1/sqrt(MU) = 32 grid cells
HINT_RADIUS = 1  # grid pixels around a hint that are fixed to its colour
GRID_DIVISOR = 4  # the grid is the render size divided by this: 64 x 64 at 256 (measured: as good as 128 x 128, faster)


class HintsError(ValueError):
    """A hints file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Hint:
    """A colour at a point of the upright photo (pixels from the top-left corner)."""

    x: int
    y: int
    color: str  # "#rrggbb"

    @property
    def ab(self) -> tuple[float, float]:
        """The hint colour's a* and b* (its lightness is not used: the photo keeps its own)."""
        from core.lab import rgb_to_lab

        rgb = np.array([[[int(self.color[i:i + 2], 16) for i in (1, 3, 5)]]], np.uint8)
        _, a, b = rgb_to_lab(rgb)[0, 0]
        return float(a), float(b)

    def to_json(self) -> dict:
        return {"x": self.x, "y": self.y, "color": self.color}


_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def parse_hint(entry, where: str) -> Hint:
    """A Hint from one JSON entry {"x": int, "y": int, "color": "#rrggbb"}; HintsError naming `where`."""
    if not isinstance(entry, dict) or set(entry) != {"x", "y", "color"}:
        raise HintsError(f"{where}: a hint is {{\"x\": int, \"y\": int, \"color\": \"#rrggbb\"}}, got {entry!r}")
    x, y, color = entry["x"], entry["y"], entry["color"]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (x, y)):
        raise HintsError(f"{where}: x and y must be whole numbers of pixels from the top-left, got {x!r}, {y!r}")
    if not isinstance(color, str) or not _COLOR.fullmatch(color):
        raise HintsError(f"{where}: colour {color!r} is not of the form #rrggbb")
    return Hint(x, y, color.lower())


def load_hints_file(path: str | os.PathLike) -> dict[str, list[Hint]]:
    """The hints of a file: {photo key: [Hint, ...]}, the key being the photo's path relative to its input (a
    photo given directly: its file name). A bad file is a HintsError naming the file and the entry."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise HintsError(f"{path}: cannot read ({e.strerror or e})") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise HintsError(f"{path}: not a JSON file ({' '.join(str(e).split())})") from None
    if not isinstance(data, dict):
        raise HintsError(f"{path}: should map each photo's path to a list of hints")
    hints: dict[str, list[Hint]] = {}
    for key, entries in data.items():
        if not isinstance(entries, list):
            raise HintsError(f"{path}: entry {key!r}: should be a list of hints")
        hints[key] = [parse_hint(e, f"{path}: entry {key!r}, hint {i + 1}") for i, e in enumerate(entries)]
    return hints


def scale_hints(hints: list[Hint], photo_size: tuple[int, int], size: tuple[int, int]) -> list[Hint]:
    """The hints of a photo of photo_size moved to a scaled copy of it of the given size (e.g. a preview)."""
    (w, h), (sw, sh) = photo_size, size
    return [Hint(min(round(hint.x * sw / w), sw - 1), min(round(hint.y * sh / h), sh - 1), hint.color)
            for hint in hints]


def check_inside(hints: list[Hint], size: tuple[int, int], where: str) -> None:
    """HintsError when a hint lies outside an upright photo of size (width, height)."""
    for i, h in enumerate(hints):
        if not (h.x < size[0] and h.y < size[1]):
            raise HintsError(f"{where}, hint {i + 1}: point ({h.x}, {h.y}) is outside the photo "
                             f"({size[0]}x{size[1]})")


def apply_hints(lightness: np.ndarray, ab: np.ndarray, hints: list[Hint], photo_size: tuple[int, int]) -> np.ndarray:
    """ab (2 x h x w, a*b* units, the prediction at render size for a photo of photo_size (width, height)) with
    the hints' colours spread over their regions; lightness is the photo's L* at the same h x w."""
    if not hints:
        return ab
    h, w = ab.shape[1:]
    gh, gw = max(h // GRID_DIVISOR, 1), max(w // GRID_DIVISOR, 1)
    l_grid, ab_grid = _area_mean(lightness[None], (gh, gw))[0], _area_mean(ab, (gh, gw))
    fixed = np.zeros((gh, gw), bool)
    target = np.zeros((2, gh, gw), np.float32)
    for hint in hints:
        gx = min(int(hint.x * gw / photo_size[0]), gw - 1)
        gy = min(int(hint.y * gh / photo_size[1]), gh - 1)
        a, b = hint.ab
        ys = slice(max(gy - HINT_RADIUS, 0), gy + HINT_RADIUS + 1)
        xs = slice(max(gx - HINT_RADIUS, 0), gx + HINT_RADIUS + 1)
        near = np.abs(l_grid[ys, xs] - l_grid[gy, gx]) < 2 * SIGMA_L  # the disc stays on the point's side of an edge
        fixed[ys, xs] |= near
        target[0, ys, xs] = np.where(near, a, target[0, ys, xs])
        target[1, ys, xs] = np.where(near, b, target[1, ys, xs])
    delta = _propagate(l_grid, np.where(fixed, target - ab_grid, 0.0), fixed)
    return ab + _guided_upsample(delta, l_grid, np.asarray(lightness, np.float32))


def _area_mean(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """C x H x W averaged down to C x size (each output cell the mean of its area)."""
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(np.ascontiguousarray(x, np.float32))[None]
    return F.adaptive_avg_pool2d(t, size)[0].numpy()


def _guided_upsample(delta: np.ndarray, l_grid: np.ndarray, lightness: np.ndarray) -> np.ndarray:
    """delta (2 x gh x gw) at the lightness's size h x w: each pixel blends its four nearest grid cells, weighted
    by distance and by how close their lightness is to its own (joint bilateral upsampling), so a correction
    stops at an edge at full resolution too, not a grid cell beyond it."""
    gh, gw = l_grid.shape
    h, w = lightness.shape
    gy = (np.arange(h) + 0.5) * gh / h - 0.5
    gx = (np.arange(w) + 0.5) * gw / w - 0.5
    y0, x0 = np.clip(np.floor(gy).astype(int), 0, gh - 1), np.clip(np.floor(gx).astype(int), 0, gw - 1)
    y1, x1 = np.clip(y0 + 1, 0, gh - 1), np.clip(x0 + 1, 0, gw - 1)
    fy, fx = np.clip(gy - y0, 0, 1)[:, None], np.clip(gx - x0, 0, 1)[None, :]
    total = np.zeros((2, h, w), np.float32)
    norm = np.full((h, w), 1e-6, np.float32)
    for ys, xs, wy, wx in ((y0, x0, 1 - fy, 1 - fx), (y0, x1, 1 - fy, fx), (y1, x0, fy, 1 - fx), (y1, x1, fy, fx)):
        cell_l = l_grid[ys][:, xs]
        weight = (wy * wx + 1e-3) * np.exp(-(lightness - cell_l) ** 2 / (2 * SIGMA_L**2))
        total += weight * delta[:, ys][:, :, xs]
        norm += weight
    return total / norm


def _propagate(l_grid: np.ndarray, known: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """The correction (2 x gh x gw) that equals `known` where fixed and minimises the energy above elsewhere."""
    from scipy.sparse import identity
    from scipy.sparse.csgraph import laplacian as graph_laplacian
    from scipy.sparse.linalg import splu
    from skimage.graph import pixel_graph

    (gh, gw), n = l_grid.shape, l_grid.size
    # the 8-neighbour grid, each edge weighted by w_rs (divided by its length, so diagonals count for less)
    w_mat, _ = pixel_graph(l_grid, connectivity=2,
                           edge_function=lambda a, b, dist: np.exp(-(a - b) ** 2 / (2 * SIGMA_L**2)) / dist)
    laplacian = graph_laplacian(w_mat.tocsr()).tocsr()
    free = ~fixed.ravel()
    system = (laplacian + MU * identity(n))[free][:, free].tocsc()
    coupling = laplacian[free][:, ~free]
    solve = splu(system).solve
    out = np.zeros((2, n), np.float64)
    for c in range(2):
        k = known[c].reshape(-1)[~free]
        out[c, ~free] = k
        out[c, free] = solve(-(coupling @ k))
    return out.reshape(2, gh, gw).astype(np.float32)
