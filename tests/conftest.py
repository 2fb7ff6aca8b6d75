import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A randomly initialised generator saved as a checkpoint (fp16, like the shipped ones)."""
    from core.checkpoint import save_checkpoint
    from core.models import GeneratorConfig, build_model

    config = GeneratorConfig(img_size=64)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    save_checkpoint(path, build_model(config), config, {"note": "random weights, for tests"}, half=True)
    return path


@pytest.fixture(scope="session")
def colorizer(tiny_checkpoint):
    from core.colorizer import Colorizer

    return Colorizer(tiny_checkpoint, device="cpu", render_size=64)
