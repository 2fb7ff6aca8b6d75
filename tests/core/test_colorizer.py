import io

import numpy as np
import pytest
from PIL import Image

from core.colorizer import Colorizer
from core.images import load_photo, photo_from_image
from tests.helpers import random_gray, random_rgb


def _mode_image(mode: str) -> Image.Image:
    gray, rgb = random_gray(45, 37), random_rgb(45, 37)
    if mode == "L":
        return gray
    if mode == "LA":
        return Image.merge("LA", (gray, gray.point(lambda v: 255 - v)))
    if mode == "RGB":
        return rgb
    if mode == "RGBA":
        return Image.merge("RGBA", (*rgb.split(), gray))
    if mode == "P":
        return rgb.convert("P", palette=Image.ADAPTIVE)
    if mode == "I;16":
        return Image.fromarray((np.asarray(gray).astype(np.uint16) * 257))
    if mode == "CMYK":
        return rgb.convert("CMYK")
    raise ValueError(mode)


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "I;16", "CMYK"])
def test_every_accepted_mode_comes_back_full_size_in_colour(colorizer, mode):
    im = _mode_image(mode)
    out = colorizer.colorize(im)
    assert out.size == im.size
    assert out.mode == ("RGBA" if mode in ("LA", "RGBA") else "RGB")
    if mode in ("LA", "RGBA"):
        assert np.array_equal(np.asarray(out.getchannel("A")), np.asarray(im.getchannel("A")))


def test_output_keeps_the_input_lightness(colorizer):
    from core import lab

    im = random_gray(64, 48)
    out = np.asarray(colorizer.colorize(im))
    l_in = lab.gray_to_l(np.asarray(im))
    l_out = lab.rgb_to_lab(out)[..., 0]
    # only where the colour stays inside the sRGB gamut is L exactly preserved; on average it is close
    assert np.median(np.abs(l_out - l_in)) < 1.0


def test_exif_rotated_input_is_turned_upright(colorizer, tmp_path):
    im = random_gray(40, 24)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif.tobytes())
    photo = load_photo(path)
    assert photo.size == (24, 40)
    assert photo.exif[0x0112] == 1
    assert colorizer.colorize_file(path).size == (24, 40)


def test_batch_and_single_give_the_same_pixels(colorizer):
    images = [random_gray(50, 30, seed=s) for s in range(3)]
    single = [np.asarray(colorizer.colorize(im)) for im in images]
    batched = [np.asarray(o) for o in colorizer.colorize_photos([photo_from_image(im) for im in images])]
    for a, b in zip(single, batched):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_saturation_zero_gives_gray(tiny_checkpoint):
    c = Colorizer(tiny_checkpoint, device="cpu", render_size=64, saturation=0.0)
    out = np.asarray(c.colorize(random_gray(33, 33))).astype(int)
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 1 and np.abs(out[..., 1] - out[..., 2]).max() <= 1


def test_render_size_must_be_a_multiple_of_32(tiny_checkpoint):
    with pytest.raises(ValueError, match="multiple of 32"):
        Colorizer(tiny_checkpoint, device="cpu", render_size=100)
    c = Colorizer(tiny_checkpoint, device="cpu", render_size=64)
    with pytest.raises(ValueError, match="multiple of 32"):
        c.render_size = 70  # a setting changed later is checked too
    with pytest.raises(ValueError, match="saturation"):
        c.saturation = -0.5
    assert (c.render_size, c.saturation) == (64, 1.0)


def test_start_colorizer_checks_settings_before_loading_anything(tmp_path):
    from core.colorizer import start_colorizer

    missing = tmp_path / "no-such-model.safetensors"
    with pytest.raises(ValueError, match="multiple of 32"):
        start_colorizer(missing, device="cpu", render_size=33)
    with pytest.raises(ValueError, match="saturation"):
        start_colorizer(missing, device="cpu", saturation=-1)


def test_truncated_image_is_a_one_line_error(tmp_path):
    from core.images import ImageError

    buf = io.BytesIO()
    random_gray(64, 64).save(buf, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[:300])
    with pytest.raises(ImageError) as e:
        load_photo(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


class _OutOfMemoryAbove:
    """Wraps a model: raises CUDA out-of-memory for batches larger than `limit` photos."""

    def __init__(self, model, limit):
        self.model, self.limit, self.calls = model, limit, []

    def __call__(self, x):
        import torch

        self.calls.append(len(x))
        if len(x) > self.limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return self.model(x)


def _use_model(c, model):
    """Make the colorizer run every pass on `model`."""
    import queue

    c._free_models = queue.SimpleQueue()
    c._free_models.put(model)
    return model


def test_out_of_memory_retries_in_smaller_batches(tiny_checkpoint):
    c = Colorizer(tiny_checkpoint, device="cpu", render_size=64)
    images = [random_gray(40, 30, seed=s) for s in range(4)]
    want = [np.asarray(c.colorize(im)) for im in images]
    wrapped = _use_model(c, _OutOfMemoryAbove(c.model, limit=1))
    with pytest.warns(UserWarning, match="smaller batches"):
        got = c.colorize_photos([photo_from_image(im) for im in images])
    assert wrapped.calls == [4, 2, 1, 1, 2, 1, 1]  # halves until each fits
    for a, b in zip(want, got):
        assert np.abs(a.astype(int) - np.asarray(b).astype(int)).max() <= 1


def test_out_of_memory_for_one_photo_falls_back_to_the_cpu(tiny_checkpoint, monkeypatch):
    c = Colorizer(tiny_checkpoint, device="cpu", render_size=64)
    im = random_gray(40, 30)
    want = np.asarray(c.colorize(im))
    real = c.model
    _use_model(c, _OutOfMemoryAbove(real, limit=0))
    monkeypatch.setattr(c, "_cpu_model", lambda: real)
    with pytest.warns(UserWarning, match="on the CPU"):
        got = np.asarray(c.colorize(im))
    assert np.abs(want.astype(int) - got.astype(int)).max() <= 1


def test_the_model_cards_colour_gain_scales_the_colour(tmp_path, tiny_checkpoint):
    from core.checkpoint import load_checkpoint, save_checkpoint

    ckpt = load_checkpoint(tiny_checkpoint)
    im = random_gray(40, 30)
    plain = Colorizer(tiny_checkpoint, device="cpu", render_size=64)
    for gain, card_value in ((1.0, "not a number"), (0.0, 0.0), (2.0, 2)):
        path = save_checkpoint(tmp_path / f"g{gain}.safetensors", ckpt.model, ckpt.config, {"colour_gain": card_value})
        c = Colorizer(path, device="cpu", render_size=64)
        assert c.colour_gain == gain
        np.testing.assert_allclose(c.predict_ab([np.full((30, 40), 50, np.float32)])[0],
                                   gain * plain.predict_ab([np.full((30, 40), 50, np.float32)])[0], atol=1e-3)
    out = np.asarray(Colorizer(tmp_path / "g0.0.safetensors", device="cpu", render_size=64).colorize(im)).astype(int)
    assert np.abs(out[..., 0] - out[..., 2]).max() <= 1


def test_strip_merge_has_no_seams(monkeypatch):
    from core import colorizer as colorizer_module
    from core.images import photo_from_image

    photo = photo_from_image(random_gray(70, 45, seed=3))
    ab = np.random.default_rng(0).uniform(-60, 60, (2, 16, 16)).astype(np.float32)
    whole = np.asarray(colorizer_module.merge(photo, ab)).astype(int)
    monkeypatch.setattr(colorizer_module, "_MERGE_ROWS", 7)
    strips = np.asarray(colorizer_module.merge(photo, ab)).astype(int)
    assert np.abs(whole - strips).max() <= 1


def test_passes_running_at_once_each_get_their_own_model(tiny_checkpoint):
    import threading

    c = Colorizer(tiny_checkpoint, device="cpu", render_size=64, streams=2)
    inputs = [np.asarray(random_gray(64, 64, seed=s), np.float32) / 2.55 for s in range(6)]
    want = [c.predict_ab([l])[0] for l in inputs]
    got: dict[int, list] = {}
    start = threading.Barrier(2)

    def worker(k: int) -> None:  # thread k predicts its half of the inputs three times over
        start.wait()
        got[k] = [(i, c.predict_ab([inputs[i]])[0]) for _ in range(3) for i in range(k, len(inputs), 2)]

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in (0, 1):
        for i, ab in got[k]:
            np.testing.assert_allclose(ab, want[i], atol=1e-4)


def test_cpu_threads_are_shared_between_two_streams_and_a_gpu_gets_one():
    import torch

    from core.colorizer import share_cpu_threads

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(4)
        assert share_cpu_threads("cuda") == 1 and torch.get_num_threads() == 4
        assert share_cpu_threads("cpu") == 2 and torch.get_num_threads() == 2
        assert share_cpu_threads("cpu", streams=1) == 1 and torch.get_num_threads() == 2
        torch.set_num_threads(1)
        assert share_cpu_threads("cpu") == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_each_stream_has_its_own_hooks_but_shares_the_weights(tiny_checkpoint):
    c = Colorizer(tiny_checkpoint, device="cpu", render_size=64, streams=2)
    first, second = c._free_models.get(), c._free_models.get()
    assert first is not second
    assert all(a is b for a, b in zip(first.parameters(), second.parameters()))
    hooked = [m for m in first.modules() if hasattr(m, "hook")]
    assert hooked and all(m.hook is not n.hook for m, n in zip(hooked, (n for n in second.modules()
                                                                        if hasattr(n, "hook"))))
