"""Opening image files as common viewers do: as far as their data goes, never anything that is not a file.

- A file is opened only when it is a regular file (a FIFO named x.jpg would block forever).
- Size is checked from the header before decoding: over the megapixel limit is refused as merely large (the
  message names the option that raises it); a declared size absurd for the file's bytes as a likely bomb.
- Damage that viewers shrug off is shrugged off here too, with a note: a JPEG complete but for its end
  marker, a PNG whose damaged chunk before the image data is an ancillary one (a comment, a date).
- A file whose picture data is cut short fails as truncated, whatever its format announces itself as.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zlib
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.errors import ImageError, one_line

# The megapixel guard below replaces Pillow's process-wide decompression-bomb check (89 MP warns, 179 MP
# fails), which refuses ordinary 1200-dpi scans.
Image.MAX_IMAGE_PIXELS = None
DEFAULT_MAX_MEGAPIXELS = 500
_BOMB_PIXELS_PER_BYTE = 10_000  # JPEG photos hold ~10 pixels a byte; a blank PNG at most ~8,000
_BOMB_MIN_PIXELS = 50_000_000

_SIGNATURES = [(b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"II+\x00", "TIFF"), (b"MM\x00+", "TIFF")]
_NOT_REGULAR = [(stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder")]


def sniff(head: bytes) -> str | None:
    """The image format a file's first bytes announce (JPEG, PNG, GIF, TIFF, WEBP, BMP), or None."""
    for magic, fmt in _SIGNATURES:
        if head.startswith(magic):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:2] == b"BM" and len(head) >= 18 and struct.unpack("<I", head[14:18])[0] in (12, 40, 52, 56, 108, 124):
        return "BMP"  # "BM" alone is too common a start; the info header's size makes it a bitmap
    return None


def not_regular(st: os.stat_result) -> str | None:
    """What a non-regular file is ("a named pipe"...), or None for a regular file."""
    if stat.S_ISREG(st.st_mode):
        return None
    return next((kind for test, kind in _NOT_REGULAR if test(st.st_mode)), "a special file")


def open_image(path: Path, draft: tuple[int, int] | None = None,
               max_megapixels: float = DEFAULT_MAX_MEGAPIXELS) -> tuple[Image.Image, list[str]]:
    """The decoded first frame of path, and notes on anything that had to be forgiven (or an ImageError).

    draft: let a JPEG decode straight to a reduced size of at least this (a preview needs no full decode).
    """
    try:
        st = os.stat(path)
    except OSError as e:  # missing, permission denied, a symlink loop...
        raise ImageError(f"{path}: cannot open ({e.strerror or one_line(e)})") from None
    kind = not_regular(st)
    if kind:
        raise ImageError(f"{path}: not a regular file ({kind}); not opened")
    if st.st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise ImageError(f"{path}: cannot open ({e.strerror or one_line(e)})") from None
    with f:
        try:
            return _decode(f, path, st.st_size, draft, max_megapixels), []
        except ImageError:
            raise
        except UnidentifiedImageError:
            f.seek(0)
            data = f.read()
            return _unidentified(data, path, draft, max_megapixels)
        except Exception as e:  # decoders raise many types (OSError, SyntaxError, struct.error...) on bad data
            f.seek(0)
            data = f.read()
            if sniff(data[:32]) == "JPEG":
                im = _jpeg_without_end_marker(data, path, draft, max_megapixels)
                if im is not None:
                    return im, ["the file lacks its JPEG end marker; decoded as complete"]
            cause = "truncated" if "truncated" in str(e) else f"{one_line(e)}; the file may be truncated or damaged"
            raise ImageError(f"{path}: cannot decode ({cause})") from None


def _decode(f, path: Path, n_bytes: int, draft, max_megapixels: float) -> Image.Image:
    im = Image.open(f)
    _check_size(path, im.size, n_bytes, max_megapixels)
    if draft is not None:
        im.draft(im.mode, draft)
    im.load()
    return im


def _check_size(path: Path, size: tuple[int, int], n_bytes: int, max_megapixels: float) -> None:
    pixels = size[0] * size[1]
    if pixels >= _BOMB_MIN_PIXELS and pixels > _BOMB_PIXELS_PER_BYTE * n_bytes:
        raise ImageError(f"{path}: declares {size[0]}x{size[1]} pixels, far too large for its {n_bytes:,} bytes "
                         f"(a decompression bomb?); not decoded")
    if pixels > max_megapixels * 1e6:
        raise ImageError(f"{path}: a large image ({pixels / 1e6:.0f} MP, {size[0]}x{size[1]}), over the "
                         f"{max_megapixels:g} MP limit; raise it with --max-megapixels to colorize it")


def _unidentified(data: bytes, path: Path, draft, max_megapixels: float) -> tuple[Image.Image, list[str]]:
    fmt = sniff(data[:32])
    if fmt == "PNG":
        repaired, skipped = _skip_damaged_ancillary_chunks(data)
        if skipped:
            try:
                im = _decode(io.BytesIO(repaired), path, len(data), draft, max_megapixels)
                return im, [f"skipped its damaged {', '.join(skipped)} chunk(s) (not part of the picture)"]
            except ImageError:
                raise
            except Exception:
                pass
    if fmt:
        raise ImageError(f"{path}: cannot decode (truncated or damaged {fmt} file: its header or directory "
                         f"cannot be read)")
    raise ImageError(f"{path}: not an image, or a format this tool cannot read")


def _skip_damaged_ancillary_chunks(data: bytes) -> tuple[bytes, list[str]]:
    """The PNG without its ancillary chunks (lowercase first letter: text, time, ...) whose CRC fails, and
    their names. A damaged critical chunk (header, palette, image data) is left for the decoder to refuse."""
    out, skipped, pos = [data[:8]], [], 8
    while pos + 12 <= len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            break
        body, crc = data[pos + 8:pos + 8 + length], struct.unpack(">I", data[pos + 8 + length:end])[0]
        if zlib.crc32(kind + body) != crc and kind[:1].islower():
            skipped.append(kind.decode("latin-1"))
        else:
            out.append(data[pos:end])
        pos = end
    out.append(data[pos:])
    return b"".join(out), skipped


def _jpeg_without_end_marker(data: bytes, path: Path, draft, max_megapixels: float) -> Image.Image | None:
    """The JPEG decoded with its end marker restored, when only the marker was missing; None otherwise.

    Whether the entropy-coded data is complete is asked of the decoder itself: once every block is decoded
    it skips any bytes before the next marker, so padding before the restored marker changes nothing; data
    cut short would go on to decode the padding, and the picture would differ.
    """
    if data.endswith(b"\xff\xd9"):
        return None
    try:
        plain = _decode(io.BytesIO(data + b"\xff\xd9"), path, len(data), draft, max_megapixels)
        padded = _decode(io.BytesIO(data + b"\x5a" * 256 + b"\xff\xd9"), path, len(data), draft, max_megapixels)
    except ImageError:
        raise
    except Exception:
        return None
    return plain if plain.tobytes() == padded.tobytes() else None
