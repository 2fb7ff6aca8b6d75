import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A randomly initialised generator saved as a checkpoint (fp16, like the shipped ones)."""
    import torch

    from core.checkpoint import save_checkpoint
    from core.models import GeneratorConfig, build_model

    config = GeneratorConfig(img_size=64)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    # Seeded: which tests ran first must not decide how wild the random colours are.
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = build_model(config)
    save_checkpoint(path, model, config, {"note": "random weights, for tests"}, half=True)
    return path


@pytest.fixture(scope="session")
def colorizer(tiny_checkpoint):
    from core.colorizer import Colorizer

    return Colorizer(tiny_checkpoint, device="cpu", render_size=64)
