"""What metadata a colorized photo carries: as much of the original's EXIF and colour profile as its output
format can hold, always the provenance note, and a note of whatever had to be left out.

Metadata never fails a photo. The original's EXIF is copied tag by tag into a fresh, classic EXIF block, so a
camera's or scanner's oddities (BigTIFF offsets, pointers to sub-IFDs, huge maker notes) cannot reach the
encoder; what the format cannot hold is dropped and named, and the block is parsed back before it is used.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
import numbers

from PIL import ExifTags, Image

PROVENANCE = "Colorized by shoebox-colorizer (machine-predicted colour; the original was black and white)"
SOFTWARE = 0x0131
ORIENTATION = 0x0112
EXIF_IFD, GPS_IFD, INTEROP_IFD = 0x8769, 0x8825, 0xA005
# TIFF tags that describe the pixel layout of the file they came from (sizes, strips, compression...):
# carried into another file they would describe it wrongly and corrupt it.
TIFF_LAYOUT_TAGS = {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 288, 289,
                    290, 291, 317, 320, 322, 323, 324, 325, 338, 339, 340, 341, 347, 530, 531, 532, 34675}
# Whole foreign blocks kept in TIFF tags (XMP, IPTC, Photoshop resources, a layered document): they describe
# the original file as a whole and are not EXIF.
BLOB_TAGS = {700: "XMP", 33723: "IPTC", 34377: "Photoshop", 37724: "Photoshop layers"}
JPEG_EXIF_LIMIT = 65533  # "Exif\0\0" and the block, in one APP1 segment (its length field counts to 65535)


@dataclass
class Carried:
    """Save parameters for the output (exif, icc_profile, and a TIFF's compression) and what of the original's
    metadata was left out."""

    params: dict
    dropped: list[str] = field(default_factory=list)

    def note(self) -> str | None:
        """One line for the user, or None when everything was carried."""
        return f"metadata not carried: {'; '.join(self.dropped)}" if self.dropped else None


def for_output(fmt: str, exif: Image.Exif | None, icc_profile: bytes | None) -> Carried:
    """What to write into an output of PIL format fmt (JPEG, PNG, TIFF, WEBP)."""
    dropped: list[str] = []
    main, sub_ifds = _copy_exif(exif, dropped)
    if fmt in ("JPEG", "WEBP"):
        out = _fit(main, sub_ifds, JPEG_EXIF_LIMIT, dropped)
    else:
        out = _build(main, sub_ifds)
    params: dict = {"exif": out.tobytes()}
    if fmt == "TIFF":
        # Pillow writes EXIF and GPS sub-IFDs (the date taken, the place) only in an uncompressed TIFF; its
        # compressing writer (libtiff) fails on them. The date matters more than the file size.
        params = {"exif": out.tobytes(), "compression": "raw"} if any(sub_ifds.values()) else {"exif": out}
    icc = _usable_icc(icc_profile, dropped)
    if icc:
        params["icc_profile"] = icc
    return Carried(params, dropped)


def provenance_only() -> dict:
    """Save parameters with nothing but the provenance note: the fallback when a file rejects the rest."""
    out = Image.Exif()
    out[SOFTWARE] = PROVENANCE
    return {"exif": out.tobytes()}


def _simple(value) -> bool:
    """A value the EXIF writer stores as it is: text, bytes, numbers and tuples of them."""
    if isinstance(value, tuple):
        return len(value) > 0 and all(_simple(v) for v in value)
    return isinstance(value, (str, bytes, numbers.Real)) and not isinstance(value, bool)


def _copy_exif(exif: Image.Exif | None, dropped: list[str]) -> tuple[dict, dict]:
    """The original's main-IFD tags and its EXIF and GPS sub-IFDs, each as plain {tag: value}."""
    main, subs = {}, {EXIF_IFD: {}, GPS_IFD: {}}
    if exif is None:
        return main, subs
    for tag, value in exif.items():
        if tag in TIFF_LAYOUT_TAGS or tag in subs or tag == SOFTWARE:
            continue
        if tag in BLOB_TAGS:
            dropped.append(f"{BLOB_TAGS[tag]} block ({_size(value)})")
        elif _simple(value):
            main[tag] = value
        else:
            dropped.append(_name(tag, None))
    for ifd in subs:
        if ifd not in exif:
            continue
        try:
            tags = exif.get_ifd(ifd)
        except Exception:  # a pointer to nowhere, a loop: the sub-IFD cannot be read at all
            dropped.append(f"the {_IFD_NAMES[ifd]} tags (unreadable)")
            continue
        for tag, value in tags.items():
            if tag == INTEROP_IFD:
                continue
            if _simple(value):
                subs[ifd][tag] = value
            else:
                dropped.append(_name(tag, ifd))
    return main, subs


_IFD_NAMES = {EXIF_IFD: "EXIF", GPS_IFD: "GPS"}


def _build(main: dict, sub_ifds: dict) -> Image.Exif:
    out = Image.Exif()
    for tag, value in main.items():
        out[tag] = value
    for ifd, tags in sub_ifds.items():
        if tags:
            out.get_ifd(ifd).update(tags)
    out[SOFTWARE] = PROVENANCE
    if ORIENTATION in out:
        out[ORIENTATION] = 1  # the output's pixels are upright
    return out


def _fit(main: dict, sub_ifds: dict, limit: int, dropped: list[str]) -> Image.Exif:
    """The EXIF block with the largest tags dropped (never the provenance note) until it fits in limit bytes."""
    while True:
        out = _build(main, sub_ifds)
        candidates = [(len(_bytes_of(v)), tag, None) for tag, v in main.items()]
        candidates += [(len(_bytes_of(v)), tag, ifd) for ifd, tags in sub_ifds.items() for tag, v in tags.items()]
        if len(out.tobytes()) <= limit or not candidates:
            return out
        size, tag, ifd = max(candidates, key=lambda c: c[0])
        (main if ifd is None else sub_ifds[ifd]).pop(tag)
        dropped.append(f"{_name(tag, ifd)} ({_size(size)}: too big for the format's 64 KB EXIF block)")


def _bytes_of(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _size(value) -> str:
    n = value if isinstance(value, int) else len(value) if hasattr(value, "__len__") else 0
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def _name(tag: int, ifd: int | None) -> str:
    names = ExifTags.GPSTAGS if ifd == GPS_IFD else ExifTags.TAGS
    return names.get(tag, f"tag {tag:#06x}")


def _usable_icc(icc: bytes | None, dropped: list[str]) -> bytes | None:
    """An RGB ICC profile that LittleCMS can parse (it then describes the colour output), else None."""
    if not icc:
        return None
    if len(icc) < 128 or icc[16:20] != b"RGB ":
        return None  # a gray or CMYK profile describes the original's pixels, not the colour output's
    try:
        from PIL import ImageCms

        ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except Exception:
        dropped.append("the colour profile (unreadable)")
        return None
    return icc
