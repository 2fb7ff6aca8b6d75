import numpy as np
import pytest
from PIL import Image

from core.images import ImageError, open_preview
from tests.helpers import random_gray, random_rgb


def test_preview_is_shrunk_to_fit_and_never_enlarged(tmp_path):
    random_gray(400, 300).save(tmp_path / "big.jpg")
    random_gray(40, 30).save(tmp_path / "small.png")
    assert open_preview(tmp_path / "big.jpg", 100).size == (100, 75)
    im = open_preview(tmp_path / "small.png", 100)
    assert im.size == (40, 30) and im.mode == "L"


def test_preview_is_upright_and_in_a_mode_a_screen_can_show(tmp_path):
    im = random_rgb(60, 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees
    im.save(tmp_path / "rotated.jpg", exif=exif.tobytes())
    assert open_preview(tmp_path / "rotated.jpg", 1000).size == (20, 60)
    Image.fromarray(np.asarray(random_gray(30, 20)).astype(np.uint16) * 257).save(tmp_path / "deep.png")
    random_rgb(30, 20).convert("CMYK").save(tmp_path / "print.jpg")
    pal = random_rgb(30, 20).convert("P")
    pal.info["transparency"] = 0
    pal.save(tmp_path / "pal.png", transparency=0)
    assert open_preview(tmp_path / "deep.png", 100).mode == "L"
    assert open_preview(tmp_path / "print.jpg", 100).mode == "RGB"
    assert open_preview(tmp_path / "pal.png", 100).mode == "RGBA"


def test_a_broken_file_is_an_image_error_naming_it(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff nope")
    with pytest.raises(ImageError, match="bad.jpg"):
        open_preview(bad, 100)
