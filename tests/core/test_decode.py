"""Opening files as viewers do: sniffing, only regular files, the size guards, forgiven and unforgiven damage."""

import io
import os
import struct
import zlib

import pytest
from PIL import Image

from core.decode import open_image, sniff
from core.errors import ImageError
from tests.helpers import random_gray


def _bytes(im, fmt, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_declaring(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "TIFF", "WEBP", "BMP"])
def test_sniff_knows_each_format_by_its_first_bytes(fmt):
    assert sniff(_bytes(random_gray(8, 8), fmt)[:32]) == fmt


def test_sniff_says_none_for_text_and_near_misses():
    assert sniff(b"shopping list\n") is None
    assert sniff(b"BM but just a note") is None
    assert sniff(b"RIFF\0\0\0\0WAVEfmt ") is None


def test_a_named_pipe_is_never_opened(tmp_path):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    with pytest.raises(ImageError, match="not a regular file \\(a named pipe\\); not opened"):
        open_image(fifo)


def test_over_the_megapixel_limit_is_refused_as_merely_large_naming_the_option(tmp_path):
    path = tmp_path / "scan.png"
    path.write_bytes(_png_declaring(12_000, 9_000, zlib.compress(bytes(12_001 * 9_000), 9)))  # 108 MP of black
    with pytest.raises(ImageError) as e:
        open_image(path, max_megapixels=100)
    msg = str(e.value)
    assert "a large image (108 MP, 12000x9000), over the 100 MP limit; raise it with --max-megapixels" in msg
    assert "bomb" not in msg


def test_a_size_absurd_for_the_bytes_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_declaring(100_000, 100_000, zlib.compress(b"\0" * 10)))
    with pytest.raises(ImageError, match="far too large for its 68 bytes \\(a decompression bomb\\?\\)"):
        open_image(path, max_megapixels=1e9)


def test_a_jpeg_missing_only_its_end_marker_decodes_with_a_note(tmp_path):
    data = _bytes(random_gray(64, 48), "JPEG")
    whole = Image.open(io.BytesIO(data))
    whole.load()
    path = tmp_path / "a.jpg"
    path.write_bytes(data[:-2])
    im, notes = open_image(path)
    assert im.tobytes() == whole.tobytes()
    assert notes == ["the file lacks its JPEG end marker; decoded as complete"]


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.98])
def test_a_jpeg_cut_inside_its_picture_data_still_fails_as_truncated(tmp_path, keep):
    data = _bytes(random_gray(64, 48), "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ImageError, match="truncated"):
        open_image(path)


def test_a_png_with_a_damaged_ancillary_chunk_decodes_and_a_damaged_critical_one_does_not(tmp_path):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Aunt Ida")
    good = _bytes(random_gray(32, 24), "PNG", pnginfo=info)
    damaged = bytearray(good)
    damaged[damaged.find(b"tEXt") + 6] ^= 0xFF
    path = tmp_path / "a.png"
    path.write_bytes(bytes(damaged))
    im, notes = open_image(path)
    assert im.tobytes() == Image.open(io.BytesIO(good)).tobytes()
    assert notes and "tEXt" in notes[0]
    header_damaged = bytearray(good)
    header_damaged[good.find(b"IHDR") + 6] ^= 0xFF
    path.write_bytes(bytes(header_damaged))
    with pytest.raises(ImageError, match="truncated or damaged PNG"):
        open_image(path)


@pytest.mark.parametrize("cut", [60, 150, 400])
def test_a_cut_tiff_is_called_truncated_not_unknown(tmp_path, cut):
    data = _bytes(random_gray(32, 24), "TIFF", compression="tiff_deflate")  # directory written last
    path = tmp_path / "cut.tif"
    path.write_bytes(data[:-cut])
    with pytest.raises(ImageError, match="truncated") as e:
        open_image(path)
    assert "not an image" not in str(e.value)
