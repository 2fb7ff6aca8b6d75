"""Reading photos into lightness (+ alpha, EXIF, ICC) and writing colour photos atomically.

Every failure is an ImageError whose message is one line naming the file and the cause.
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core import lab
from core.errors import one_line
from core.files import write_atomic

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"}
# --format keep: these suffixes are written back as they came; anything else becomes PNG.
KEPT_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
FORMAT_SUFFIX = {"jpg": ".jpg", "png": ".png", "tiff": ".tif"}
PIL_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}

_EXIF_ORIENTATION = 0x0112
_EXIF_SOFTWARE = 0x0131
# TIFF tags that describe the pixel layout of the file they came from (sizes, strips, compression...):
# carried into another file they would describe it wrongly and corrupt it.
_TIFF_LAYOUT_TAGS = {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 288, 289,
                     290, 291, 317, 320, 322, 323, 324, 325, 338, 339, 340, 341, 347, 530, 531, 532, 34675}
PROVENANCE = "Colorized by shoebox-colorizer (machine-predicted colour; the original was black and white)"


class ImageError(Exception):
    """A photo that cannot be read or written; the message names the file and the cause."""


@dataclass
class Photo:
    """A photo as the colorizer needs it: full-resolution L* plus what must be carried to the output."""

    path: Path | None
    lightness: np.ndarray  # H x W float32 L* in [0, 100], EXIF orientation applied
    alpha: np.ndarray | None  # H x W uint8, or None
    exif: Image.Exif | None
    icc_profile: bytes | None  # only an RGB profile, which can describe the colour output

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)"""
        return self.lightness.shape[1], self.lightness.shape[0]


def _open(path: Path, draft: tuple[int, int] | None = None) -> Image.Image:
    """Open and fully decode the first frame, turning every decoder failure into an ImageError.

    draft: let a JPEG decode straight to a reduced size of at least this (a preview needs no full decode).
    """
    try:
        f = open(path, "rb")
    except OSError as e:  # missing, permission denied, a directory, a symlink loop...
        raise ImageError(f"{path}: cannot open ({e.strerror or one_line(e)})") from None
    with f:
        if os.fstat(f.fileno()).st_size == 0:
            raise ImageError(f"{path}: empty file (0 bytes)")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im = Image.open(f)
                if draft is not None:
                    im.draft(im.mode, draft)
                im.load()
        except UnidentifiedImageError:
            raise ImageError(f"{path}: not an image, or a format this tool cannot read") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageError(f"{path}: image too large (its declared size exceeds the "
                             f"{Image.MAX_IMAGE_PIXELS // 1_000_000} MP decompression-bomb limit)") from None
        except Exception as e:  # decoders raise many types (OSError, SyntaxError, struct.error...) on bad data
            raise ImageError(f"{path}: cannot decode ({one_line(e)}); the file may be truncated or damaged") from None
    return im


# open_preview: modes shown as they are; the rest are converted to one a screen can show.
_DISPLAY_MODES = {"L", "LA", "RGB", "RGBA"}


def open_preview(path: str | os.PathLike, max_side: int) -> Image.Image:
    """The photo upright, in L/LA/RGB/RGBA, shrunk to fit max_side x max_side: for thumbnails and previews."""
    path = Path(path)
    im = _open(path, draft=(max_side, max_side))
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
    im = ImageOps.exif_transpose(_open(path))
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
    """16/32-bit gray to [0, 1]: 16-bit scans use the full 0..65535 range; float images are taken as [0, 1]."""
    if mode == "F":
        return np.clip(a, 0.0, 1.0)
    return np.clip(a / 65535.0, 0.0, 1.0)


def photo_from_image(im: Image.Image, path: Path | None = None) -> Photo:
    """Lightness, alpha, EXIF and ICC of a PIL image (any mode), orientation applied."""
    exif = im.getexif()
    icc = im.info.get("icc_profile")
    im = ImageOps.exif_transpose(im)
    alpha = None
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode == "PA":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA"):
        alpha = np.asarray(im.getchannel("A")).copy()
        im = im.convert("RGB" if im.mode == "RGBA" else "L")
    if im.mode in ("L", "1"):
        lightness = lab.gray_u8_to_l(np.asarray(im.convert("L")))
    elif im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        lightness = lab.gray_to_l(_scale_high_bit(np.asarray(im).astype(np.float32), im.mode))
    else:  # RGB, CMYK, YCbCr, LAB, HSV: tinted or sepia scans keep only their lightness
        lightness = lab.rgb_u8_to_l(np.asarray(im.convert("RGB")))
    for tag in _TIFF_LAYOUT_TAGS & set(exif):
        del exif[tag]
    if _EXIF_ORIENTATION in exif:
        exif[_EXIF_ORIENTATION] = 1  # the pixels are upright now
    return Photo(path=path, lightness=np.ascontiguousarray(lightness, dtype=np.float32), alpha=alpha,
                 exif=exif if len(exif) else None, icc_profile=icc if _is_rgb_profile(icc) else None)


def load_photo(path: str | os.PathLike) -> Photo:
    """Read a photo file for colorizing; an ImageError names the file and the cause."""
    path = Path(path)
    im = _open(path)
    try:
        return photo_from_image(im, path)
    except Exception as e:  # e.g. corrupt EXIF met while turning the photo upright
        raise ImageError(f"{path}: cannot convert ({one_line(e)})") from None


def _is_rgb_profile(icc: bytes | None) -> bool:
    # ICC header bytes 16..19 name the profile's data colour space; only an RGB one fits our output.
    return bool(icc) and len(icc) >= 128 and icc[16:20] == b"RGB "


def output_suffix(src: Path, fmt: str) -> str:
    """The output file suffix for --format keep|jpg|png|tiff."""
    if fmt == "keep":
        s = src.suffix.lower()
        return src.suffix if s in KEPT_SUFFIXES else ".png"
    return FORMAT_SUFFIX[fmt]


def save_atomic(im: Image.Image, dst: str | os.PathLike, exif: Image.Exif | None = None,
                icc_profile: bytes | None = None) -> Path:
    """Write im to dst via a temporary file in the same folder and a rename: dst is whole or absent."""
    dst = Path(dst)
    fmt = PIL_FORMAT.get(dst.suffix.lower())
    if fmt is None:
        raise ImageError(f"{dst}: unsupported output format {dst.suffix!r}")
    if fmt == "JPEG" and im.mode == "RGBA":
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im).convert("RGB")
    exif = exif if exif is not None else Image.Exif()
    exif[_EXIF_SOFTWARE] = PROVENANCE
    params: dict = {"exif": exif.tobytes()}
    if icc_profile:
        params["icc_profile"] = icc_profile
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
    try:
        write_atomic(dst, lambda f: im.save(f, format=fmt, **params))
    except OSError as e:
        raise ImageError(f"{dst}: cannot write ({_write_error_cause(e, dst.parent)})") from None
    return dst


def _write_error_cause(e: OSError, folder: Path) -> str:
    cause = e.strerror or one_line(e)
    if e.errno is None:  # encoders (libtiff, libwebp) report a failed write without an errno: say why if we can
        try:
            if shutil.disk_usage(folder).free < 1 << 20:
                return f"No space left on device: {cause}"
        except OSError:
            pass
    return cause
