"""The colorization generator: a fastai DynamicUnet on a torchvision ResNet body, L in, ab out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything needed to rebuild the generator; stored in every checkpoint."""

    arch: str = "resnet18"
    n_in: int = 1
    n_out: int = 2
    img_size: int = 256  # the size DynamicUnet traces its decoder with; any multiple of 32 runs
    self_attention: bool = False
    blur: bool = False
    # ImageNet weights for the body: downloads from the internet, so everything offline uses False.
    pretrained: bool = False
    y_range: tuple[float, float] = (-1.0, 1.0)  # normalised ab; see core.lab.AB_SCALE


def import_fastai_unet():
    """fastai's create_body and DynamicUnet (imported on first use: fastai and torchvision take seconds)."""
    import warnings

    with warnings.catch_warnings():  # fastai's layers still call the deprecated torch.jit.script at import
        warnings.simplefilter("ignore", FutureWarning)
        from fastai.vision.learner import create_body
        from fastai.vision.models.unet import DynamicUnet
    return create_body, DynamicUnet


def build_generator(config: GeneratorConfig):
    """Build the U-Net from its config (randomly initialised unless config.pretrained)."""
    import torchvision.models as tvm

    create_body, DynamicUnet = import_fastai_unet()

    arch = getattr(tvm, config.arch, None)
    if arch is None or not config.arch.startswith("resnet"):
        raise ValueError(f"unsupported generator arch {config.arch!r} (a torchvision resnet is expected)")
    body = create_body(arch(weights="DEFAULT" if config.pretrained else None), n_in=config.n_in,
                       pretrained=config.pretrained, cut=-2)
    return DynamicUnet(
        body,
        n_out=config.n_out,
        img_size=(config.img_size, config.img_size),
        blur=config.blur,
        self_attention=config.self_attention,
        y_range=config.y_range,
    )
