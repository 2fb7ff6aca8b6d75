"""sRGB <-> CIE L*a*b* (D65), and the model's normalisation of L and ab.

One implementation serves both paths: numpy arrays (the image I/O path, channels last, HxWx3) and torch
tensors (the training path, channels first, ...x3xHxW). Values follow scikit-image's ``rgb2lab``/``lab2rgb``
(same matrix, white point and piecewise functions), computed in the input's float precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# sRGB (linear) -> XYZ, the matrix scikit-image uses; D65 reference white (2 degree observer).
XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
D65_WHITE = np.array([0.95047, 1.0, 1.08883])

_EPS = 0.008856  # (6/29)**3, CIE's linear/cube-root breakpoint as scikit-image rounds it
_KAPPA = 7.787



def _xp(x: Any):
    """The array namespace of x: numpy for ndarrays, torch for tensors."""
    if isinstance(x, np.ndarray):
        return np
    import torch

    return torch


def _channels_last(x: Any) -> Any:
    return x if isinstance(x, np.ndarray) else x.movedim(-3, -1)


def _channels_first_like(y: Any, x: Any) -> Any:
    return y if isinstance(x, np.ndarray) else y.movedim(-1, -3)


def _const(values: np.ndarray, like: Any) -> Any:
    if isinstance(like, np.ndarray):
        return values.astype(like.dtype)
    import torch

    return torch.as_tensor(values, dtype=like.dtype, device=like.device)


def _float(x: Any) -> Any:
    """uint8 -> [0, 1] float32; floats keep their precision."""
    if isinstance(x, np.ndarray):
        if x.dtype == np.uint8:
            return x.astype(np.float32) / 255.0
        return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)
    if not x.is_floating_point():
        return x.float() / 255.0
    return x


def srgb_to_linear(c: Any) -> Any:
    xp = _xp(c)
    return xp.where(c > 0.04045, ((c.clip(0.04045, None) + 0.055) / 1.055) ** 2.4, c / 12.92)


def linear_to_srgb(c: Any) -> Any:
    xp = _xp(c)
    return xp.where(c > 0.0031308, 1.055 * c.clip(0.0031308, None) ** (1 / 2.4) - 0.055, 12.92 * c)


def _f(t: Any) -> Any:
    xp = _xp(t)
    return xp.where(t > _EPS, t.clip(_EPS, None) ** (1 / 3), _KAPPA * t + 16.0 / 116.0)


def _f_inv(f: Any) -> Any:
    xp = _xp(f)
    return xp.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / _KAPPA)


def rgb_to_lab(rgb: Any) -> Any:
    """sRGB (uint8 or float in [0, 1]) -> L*a*b*. numpy: ...xHxWx3; torch: ...x3xHxW."""
    x = _channels_last(_float(rgb))
    xyz = srgb_to_linear(x) @ _const(XYZ_FROM_RGB.T, x) / _const(D65_WHITE, x)
    f = _f(xyz)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    lab = _xp(x).stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], -1)
    return _channels_first_like(lab, rgb)


def lab_to_rgb(lab: Any) -> Any:
    """L*a*b* -> sRGB float in [0, 1]; colours outside the sRGB gamut are clipped."""
    x = _channels_last(lab)
    fy = (x[..., 0] + 16.0) / 116.0
    fx = fy + x[..., 1] / 500.0
    fz = (fy - x[..., 2] / 200.0).clip(0.0, None)
    xyz = _f_inv(_xp(x).stack([fx, fy, fz], -1)) * _const(D65_WHITE, x)
    rgb = linear_to_srgb(xyz @ _const(RGB_FROM_XYZ.T, x)).clip(0.0, 1.0)
    return _channels_first_like(rgb, lab)


def gray_to_l(gray: Any) -> Any:
    """Lightness L* of a gray image (uint8 or float in [0, 1]): the L of rgb_to_lab with R = G = B."""
    y = srgb_to_linear(_float(gray))
    return 116.0 * _f(y) - 16.0


@dataclass(frozen=True)
class Normalisation:
    """How a model sees L*a*b*: L as (L - l_center) / l_scale (about [-1, 1]), ab as ab / ab_scale.

    Every generator's config carries its own (core.models.GeneratorConfig.normalisation), so a checkpoint
    says how to feed it. These defaults are what every model before that field existed was trained with.
    """

    l_center: float = 50.0
    l_scale: float = 50.0
    ab_scale: float = 110.0

    def normalize_l(self, l: Any) -> Any:
        return (l - self.l_center) / self.l_scale

    def denormalize_l(self, l: Any) -> Any:
        return l * self.l_scale + self.l_center

    def normalize_ab(self, ab: Any) -> Any:
        return ab / self.ab_scale

    def denormalize_ab(self, ab: Any) -> Any:
        return ab * self.ab_scale


# Fast paths for full-resolution photos (numpy, float32, uint8 at the edges). Same formulas as above, but the
# sRGB transfer curve and the lightness of 8-bit values come from lookup tables, and the work is done with few
# temporaries: on a 6 MP scan this is what separates the model's time from the pipeline's.
_LINEAR_OF_U8 = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_L_OF_GRAY_U8 = gray_to_l(np.arange(256) / 255.0).astype(np.float32)
_SRGB_LUT_BITS = 16  # linear light quantised to 1/65535: < 0.06 of an 8-bit level even on the steep dark end
_SRGB_U8_OF_LINEAR = (linear_to_srgb(np.linspace(0.0, 1.0, 2**_SRGB_LUT_BITS)) * 255.0 + 0.5).astype(np.uint8)
_Y_FROM_RGB = XYZ_FROM_RGB[1].astype(np.float32)  # D65 white has Y = 1


def gray_u8_to_l(gray: np.ndarray) -> np.ndarray:
    """L* (float32) of an 8-bit gray image, by table: equal to gray_to_l."""
    return _L_OF_GRAY_U8[gray]


def rgb_u8_to_l(rgb: np.ndarray) -> np.ndarray:
    """L* (float32) of an 8-bit HxWx3 sRGB image without computing a and b."""
    lin = _LINEAR_OF_U8
    y = lin[rgb[..., 0]] * _Y_FROM_RGB[0]
    y += lin[rgb[..., 1]] * _Y_FROM_RGB[1]
    y += lin[rgb[..., 2]] * _Y_FROM_RGB[2]
    return _l_of_y(y)


def _l_of_y(y: np.ndarray) -> np.ndarray:
    """116 f(Y) - 16, in place on a float32 array."""
    small = y <= _EPS
    lin_part = y[small] * (_KAPPA * 116.0)
    np.cbrt(y, out=y)
    y *= 116.0
    y -= 16.0
    y[small] = lin_part  # 116 * (kappa * Y + 16/116) - 16
    return y


def lab_to_rgb_u8(l: np.ndarray, a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Separate HxW float32 L*, a*, b* planes -> [R, G, B] uint8 planes of sRGB (out of gamut clipped), as lab_to_rgb.

    Planes rather than HxWx3 because writing every third byte costs more than the rest; PIL's
    Image.merge("RGB", ...) interleaves them in C.
    """
    fy = (l + 16.0) / 116.0
    fx = a / 500.0
    fx += fy
    fz = b / -200.0
    fz += fy
    np.maximum(fz, 0.0, out=fz)
    xyz = [_f_inv_inplace(f) for f in (fx, fy, fz)]
    scale = np.float32(2**_SRGB_LUT_BITS - 1)
    # XYZ -> linear RGB with the white point and the table's scale folded into the matrix
    m = (RGB_FROM_XYZ * D65_WHITE * float(scale)).astype(np.float32)
    c, tmp = np.empty_like(fy), np.empty_like(fy)
    idx = np.empty(l.shape, np.int32)
    planes = []
    for ch in range(3):
        np.multiply(xyz[0], m[ch, 0], out=c)
        for k in (1, 2):
            np.multiply(xyz[k], m[ch, k], out=tmp)
            c += tmp
        np.clip(c, 0.0, scale, out=c)
        c += 0.5
        idx[...] = c  # truncation after +0.5: rounding to the nearest table entry
        planes.append(np.take(_SRGB_U8_OF_LINEAR, idx))  # take: half the time of fancy indexing
    return planes


def _f_inv_inplace(f: np.ndarray) -> np.ndarray:
    """_f_inv on a float32 array, overwriting it."""
    small = f <= 0.2068966
    # dark pixels (L* < 8) are rare in photos: skip the masked passes when there are none
    lin_part = (f[small] - 16.0 / 116.0) / _KAPPA if small.any() else None
    f *= f * f
    if lin_part is not None:
        f[small] = lin_part
    return f
