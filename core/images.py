"""Reading photos into lightness (+ alpha, EXIF, ICC) and writing colour photos atomically.

Every failure is an ImageError whose message is one line naming the file and the cause.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from core import lab
from core.decode import DEFAULT_MAX_MEGAPIXELS, open_image
from core.errors import ImageError, one_line
from core.files import write_atomic
from core.metadata import ORIENTATION, PROVENANCE, for_output, provenance_only

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"}
# --format keep: these suffixes are written back as they came; anything else becomes PNG.
KEPT_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
FORMAT_SUFFIX = {"jpg": ".jpg", "png": ".png", "tiff": ".tif"}
PIL_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}

@dataclass
class Photo:
    """A photo as the colorizer needs it: full-resolution L* plus what must be carried to the output."""

    path: Path | None
    lightness: np.ndarray  # H x W float32 L* in [0, 100], EXIF orientation applied
    alpha: np.ndarray | None  # H x W uint8, or None
    exif: Image.Exif | None  # the original's, as read; core.metadata decides what of it an output carries
    icc_profile: bytes | None
    notes: list[str] = field(default_factory=list)  # what reading it had to forgive (core.decode)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)"""
        return self.lightness.shape[1], self.lightness.shape[0]


# open_preview: modes shown as they are; the rest are converted to one a screen can show.
_DISPLAY_MODES = {"L", "LA", "RGB", "RGBA"}


def open_preview(path: str | os.PathLike, max_side: int) -> Image.Image:
    """The photo upright, in L/LA/RGB/RGBA, shrunk to fit max_side x max_side: for thumbnails and previews."""
    path = Path(path)
    im, _ = open_image(path, draft=(max_side, max_side))
    try:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            im = Image.fromarray(_gray_to_uint8(im))
        elif im.mode in ("P", "PA"):
            im = im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
        elif im.mode == "1":
            im = im.convert("L")
        elif im.mode not in _DISPLAY_MODES:  # CMYK, YCbCr, LAB, HSV
            im = im.convert("RGB")
        im.thumbnail((max_side, max_side), Image.LANCZOS, reducing_gap=3.0)
    except (OSError, ValueError) as e:
        raise ImageError(f"{path}: cannot convert ({one_line(e)})") from None
    return im


def open_rgb(path: str | os.PathLike) -> Image.Image:
    """An image as upright RGB (transparency composited onto white): for training and evaluation."""
    path = Path(path)
    im = ImageOps.exif_transpose(open_image(path)[0])
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return _to_rgb(im)


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return Image.fromarray(_gray_to_uint8(im)).convert("RGB")
    return im.convert("RGB")


def _gray_to_uint8(im: Image.Image) -> np.ndarray:
    a = np.asarray(im).astype(np.float32)
    return np.clip(_scale_high_bit(a, im.mode) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _scale_high_bit(a: np.ndarray, mode: str) -> np.ndarray:
    """16/32-bit gray to [0, 1]. 16-bit data (Pillow reads 16-bit PNGs as 32-bit "I") uses the full 0..65535
    range and float data within [0, 1] is taken as it is; anything wider (a full-range 32-bit integer scan,
    float data in other units) is mapped from its own darkest to its lightest value."""
    finite = a[np.isfinite(a)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if mode == "F" and 0.0 <= lo and hi <= 1.0:
        return np.nan_to_num(a, nan=0.0)
    if mode != "F" and 0.0 <= lo and hi <= 65535.0:
        return a / 65535.0
    if hi <= lo:
        return np.full(a.shape, 0.5, np.float32)
    return np.clip((np.nan_to_num(a, nan=lo) - lo) / (hi - lo), 0.0, 1.0)


def photo_from_image(im: Image.Image, path: Path | None = None) -> Photo:
    """Lightness, alpha, EXIF and ICC of a PIL image (any mode), orientation applied."""
    exif = im.getexif()
    icc = im.info.get("icc_profile")
    im = ImageOps.exif_transpose(im)
    alpha = _colour_key_alpha(im)
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode == "PA":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA"):
        alpha = np.asarray(im.getchannel("A")).copy()
        im = im.convert("RGB" if im.mode == "RGBA" else "L")
    if alpha is not None and alpha.min() == 255:
        alpha = None  # fully opaque: nothing to keep
    if im.mode in ("L", "1"):
        lightness = lab.gray_u8_to_l(np.asarray(im.convert("L")))
    elif im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        lightness = lab.gray_to_l(_scale_high_bit(np.asarray(im).astype(np.float32), im.mode))
    else:  # RGB, CMYK, YCbCr, LAB, HSV: tinted or sepia scans keep only their lightness
        lightness = lab.rgb_u8_to_l(np.asarray(im.convert("RGB")))
    if ORIENTATION in exif:
        exif[ORIENTATION] = 1  # the pixels are upright now
    return Photo(path=path, lightness=np.ascontiguousarray(lightness, dtype=np.float32), alpha=alpha,
                 exif=exif if len(exif) else None, icc_profile=icc)


def _colour_key_alpha(im: Image.Image) -> np.ndarray | None:
    """The alpha of a gray or RGB image whose transparency is a colour key (a PNG tRNS chunk), else None."""
    key = im.info.get("transparency")
    if key is None or im.mode not in ("L", "I", "I;16", "RGB"):
        return None
    a = np.asarray(im)
    hit = (a == np.asarray(key)).all(-1) if im.mode == "RGB" and isinstance(key, tuple) else a == key
    return np.where(hit, 0, 255).astype(np.uint8)


def upright_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) of a photo once its EXIF orientation is applied, read from its header only."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            w, h = im.size
            turned = im.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8)
    except Exception as e:
        raise ImageError(f"{path}: cannot read ({one_line(e)})") from None
    return (h, w) if turned else (w, h)


def load_photo(path: str | os.PathLike, max_megapixels: float = DEFAULT_MAX_MEGAPIXELS) -> Photo:
    """Read a photo file for colorizing; an ImageError names the file and the cause."""
    path = Path(path)
    im, notes = open_image(path, max_megapixels=max_megapixels)
    try:
        photo = photo_from_image(im, path)
    except Exception as e:  # e.g. corrupt EXIF met while turning the photo upright
        raise ImageError(f"{path}: cannot convert ({one_line(e)})") from None
    photo.notes = notes
    return photo


def output_suffix(src: Path, fmt: str) -> str:
    """The output file suffix for --format keep|jpg|png|tiff."""
    if fmt == "keep":
        s = src.suffix.lower()
        return src.suffix if s in KEPT_SUFFIXES else ".png"
    return FORMAT_SUFFIX[fmt]


def save_atomic(im: Image.Image, dst: str | os.PathLike, exif: Image.Exif | None = None,
                icc_profile: bytes | None = None) -> str | None:
    """Write im to dst via a temporary file in the same folder and a rename: dst is whole or absent.

    The original's exif and icc_profile are carried as far as the format allows (core.metadata), with the
    provenance note always. Returns a one-line note of the metadata left out, or None.
    """
    dst = Path(dst)
    fmt = PIL_FORMAT.get(dst.suffix.lower())
    if fmt is None:
        raise ImageError(f"{dst}: unsupported output format {dst.suffix!r}")
    if fmt == "JPEG" and im.mode == "RGBA":
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im).convert("RGB")
    params: dict = {}
    if fmt == "JPEG":
        params.update(quality=95, subsampling=0)
    elif fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Software", PROVENANCE)
        params["pnginfo"] = info
    elif fmt == "TIFF":
        params["compression"] = "tiff_deflate"
    elif fmt == "WEBP":
        params.update(quality=95)
    carried = for_output(fmt, exif, icc_profile)
    try:
        try:
            write_atomic(dst, lambda f: im.save(f, format=fmt, **{**params, **carried.params}))
            return carried.note()
        except (ValueError, RuntimeError, TypeError, KeyError, SyntaxError) as e:
            # the encoder refused the metadata (Pillow raises these for tags it cannot write): the photo
            # matters more, so write it with the provenance note alone
            write_atomic(dst, lambda f: im.save(f, format=fmt, **params, **provenance_only()))
            return f"metadata not carried: the {fmt} encoder refused it ({one_line(e)})"
    except OSError as e:
        raise ImageError(f"{dst}: cannot write ({_write_error_cause(e, dst.parent)})") from None


def _write_error_cause(e: OSError, folder: Path) -> str:
    cause = e.strerror or one_line(e)
    if e.errno is None:  # encoders (libtiff, libwebp) report a failed write without an errno: say why if we can
        try:
            if shutil.disk_usage(folder).free < 1 << 20:
                return f"No space left on device: {cause}"
        except OSError:
            pass
    return cause
