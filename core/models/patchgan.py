"""The pix2pix PatchGAN discriminator: judges overlapping 70x70 patches of an (L, ab) image as real or fake."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PatchGANConfig:
    n_in: int = 3  # L + ab: the discriminator is conditional, it sees the gray input with the colour
    base_filters: int = 64
    n_layers: int = 3  # 3 strided layers -> a 70x70 receptive field, as in pix2pix


def build_patchgan(config: PatchGANConfig):
    """pix2pix's NLayerDiscriminator (BatchNorm, LeakyReLU 0.2), weights N(0, 0.02) as in the paper."""
    from torch import nn

    def block(c_in: int, c_out: int, stride: int, norm: bool = True, act: bool = True) -> list:
        layers = [nn.Conv2d(c_in, c_out, 4, stride, 1, bias=not norm)]
        if norm:
            layers.append(nn.BatchNorm2d(c_out))
        if act:
            layers.append(nn.LeakyReLU(0.2, True))
        return layers

    nf = config.base_filters
    layers = block(config.n_in, nf, 2, norm=False)
    for i in range(1, config.n_layers):
        layers += block(nf * 2 ** (i - 1), nf * 2**i, 2)
    layers += block(nf * 2 ** (config.n_layers - 1), nf * 2**config.n_layers, 1)
    layers += block(nf * 2**config.n_layers, 1, 1, norm=False, act=False)
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return model
