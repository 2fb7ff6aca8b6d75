import numpy as np
import pytest

from desktop.workers import Engine, EngineSettings, NoModelError, to_qimage
from tests.helpers import random_gray, random_rgb


@pytest.fixture(scope="module")
def other_checkpoint(tmp_path_factory):
    from core.checkpoint import save_checkpoint
    from core.models import GeneratorConfig, build_model

    config = GeneratorConfig(img_size=64)
    return save_checkpoint(tmp_path_factory.mktemp("other") / "other.safetensors", build_model(config), config,
                           half=True)


def test_the_engine_follows_the_settings_current_at_each_call(tiny_checkpoint, other_checkpoint, colorizer):
    from core.colorizer import Colorizer

    engine = Engine("cpu")
    assert engine.load() == "CPU" and engine.ready
    with pytest.raises(NoModelError):
        engine.colorize(random_gray(40, 30))
    image = random_gray(40, 30, seed=3)
    engine.settings = EngineSettings(tiny_checkpoint, 64, 1.0)
    a = np.asarray(engine.colorize(image))
    np.testing.assert_array_equal(a, np.asarray(colorizer.colorize(image)))
    engine.settings = EngineSettings(other_checkpoint, 64, 1.0)
    b = np.asarray(engine.colorize(image))
    np.testing.assert_array_equal(b, np.asarray(Colorizer(other_checkpoint, "cpu", 64).colorize(image)))
    engine.settings = EngineSettings(other_checkpoint, 64, 0.0)
    gray = np.asarray(engine.colorize(image)).astype(int)
    assert np.abs(gray[..., 0] - gray[..., 2]).max() <= 2


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA"])
def test_to_qimage_keeps_size_and_pixels(mode):
    im = random_rgb(7, 5).convert(mode)  # an odd width: rows are padded in a QImage
    q = to_qimage(im)
    assert (q.width(), q.height()) == (7, 5)
    r, g, b, _ = im.convert("RGBA").getpixel((6, 4))
    c = q.pixelColor(6, 4)
    assert (c.red(), c.green(), c.blue()) == (r, g, b)
