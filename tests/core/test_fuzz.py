"""Fuzzing the image loader and the colorizer: random bytes and random valid-but-odd images.

Nothing may escape but the tool's own one-line ImageError (bounded example counts keep this fast; run with
--hypothesis-profile=long, or raise max_examples, for a longer search)."""

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.images import ImageError, load_photo

MAGIC = [b"", b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM", b"RIFF"]
SUFFIXES = [".jpg", ".png", ".gif", ".tif", ".bmp", ".webp"]


def _valid_image_bytes(kind: str) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (23, 17), 99).save(buf, kind)
    return buf.getvalue()


VALID = {k: _valid_image_bytes(k) for k in ("JPEG", "PNG", "GIF", "TIFF", "BMP")}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(magic=st.sampled_from(MAGIC), body=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_give_a_photo_or_an_image_error(tmp_path, magic, body, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(magic + body)
    try:
        photo = load_photo(path)
    except ImageError as e:
        assert str(path) in str(e) and "\n" not in str(e)
    else:
        assert photo.lightness.ndim == 2


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(VALID)), data=st.data())
def test_corrupted_real_files_give_a_photo_or_an_image_error(tmp_path, kind, data):
    raw = bytearray(VALID[kind])
    for _ in range(data.draw(st.integers(1, 8))):  # flip a few bytes, or cut the file short
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    raw = raw[: data.draw(st.integers(1, len(raw)))]
    path = tmp_path / f"corrupt.{kind.lower()}"
    path.write_bytes(bytes(raw))
    try:
        load_photo(path)
    except ImageError as e:
        assert str(path) in str(e) and "\n" not in str(e)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mode=st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F", "YCbCr"]),
       w=st.integers(1, 40), h=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_odd_valid_images_come_back_the_same_size(colorizer, mode, w, h, seed):
    rng = np.random.default_rng(seed)
    bands = len(Image.new(mode, (1, 1)).getbands())
    if mode in ("I;16", "I"):
        im = Image.fromarray(rng.integers(0, 65536, (h, w)).astype(np.uint16 if mode == "I;16" else np.int32))
    elif mode == "F":
        im = Image.fromarray(rng.random((h, w)).astype(np.float32))
    else:
        arr = rng.integers(0, 256, (h, w, bands) if bands > 1 else (h, w), dtype=np.uint8)
        im = Image.fromarray(arr, "RGBA" if bands == 4 else ("RGB" if bands == 3 else ("LA" if bands == 2 else "L")))
        im = im.convert(mode) if im.mode != mode else im
    out = colorizer.colorize(im)
    assert out.size == (w, h)
    assert out.mode == ("RGBA" if mode in ("LA", "RGBA") or (mode == "P" and "transparency" in im.info) else "RGB")
