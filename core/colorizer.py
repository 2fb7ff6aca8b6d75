"""Colorizer: any photo in, a colour photo of the same pixel size out.

The model sees the photo's lightness squashed to render_size x render_size and predicts ab there; ab is
upsampled to the full size and merged with the original full-resolution L, so detail and sharpness come from
the original and only the colour comes from the model.
"""

from __future__ import annotations

import copy
import os
import queue
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from core import lab
from core.hints import Hint, apply_hints
from core.images import Photo, load_photo, photo_from_image
from core.resources import default_checkpoint

_MERGE_ROWS = 64  # the full-size merge runs in strips: bounded memory on huge scans, and ~1.5x faster
# than 512-row strips because each strip's float temporaries stay in the CPU cache


def prefer_passive_threads() -> None:
    """Let torch's idle OpenMP threads sleep instead of spinning; call before torch is imported.

    In a batch the model shares the cores with the loader and writer threads; spinning threads steal their
    time. Measured on a 2-core CPU: colorize-folder 2.50 photos/s without it, 2.69-2.83 with it
    (benchmarks/RESULTS.md).
    """
    import sys

    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def import_engine() -> None:
    """Import what a Colorizer needs (torch, torchvision, fastai's U-Net, timm, safetensors, and scipy's sparse
    solver for hints) now, not on first use."""
    import safetensors.torch  # noqa: F401
    import scipy.sparse.linalg  # noqa: F401
    import timm  # noqa: F401
    import torch  # noqa: F401

    from core.models.generator import import_fastai_unet

    import_fastai_unet()


def share_cpu_threads(device: str, streams: int = 2) -> int:
    """How many forward passes a batch should run at once on device (up to streams); on a CPU, splits torch's
    threads among them.

    A batch-1 forward pass at render size uses two threads poorly (1.6x one thread's speed on 2 cores), so on a
    CPU two passes run side by side with half the threads each: 4.26 against 3.88 forward passes/s on a 2-core
    CPU, and a batch 7 % faster (benchmarks/RESULTS.md). On a GPU: 1.
    """
    import torch

    threads = torch.get_num_threads()
    streams = max(1, min(streams, threads)) if device == "cpu" else 1
    torch.set_num_threads(threads // streams)
    return streams


def check_render_size(size: int) -> int:
    """size, when the model can render at it (a multiple of 32, at least 32); else ValueError."""
    if not isinstance(size, int) or size < 32 or size % 32:
        raise ValueError(f"render size must be a multiple of 32 (got {size})")
    return size


# One unit of warmth: the a*b* shift of a warming photo filter (towards orange), as Photoshop's "Warming Filter
# (85)" moves a neutral gray. Symmetric: -1 cools by exactly as much, and +w then -w gives back the prediction.
WARM_AB = np.array([4.0, 16.0], np.float32)


def check_warmth(warmth: float) -> float:
    if not -1.0 <= warmth <= 1.0:
        raise ValueError(f"warmth must be between -1 (cool) and 1 (warm) (got {warmth})")
    return float(warmth)


def warm(ab: np.ndarray, warmth: float) -> np.ndarray:
    """ab (... x 2 x H x W, a*b* units) shifted by warmth * WARM_AB."""
    if not warmth:
        return ab
    return ab + (warmth * WARM_AB).reshape(2, 1, 1)


def check_saturation(saturation: float) -> float:
    if not saturation >= 0:
        raise ValueError(f"saturation must be 0 or more (got {saturation})")
    return float(saturation)


def pick_device(device: str = "auto") -> str:
    """'auto' -> 'cuda' when a CUDA GPU is present, else 'cpu'."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for, but no CUDA GPU is available")
    return device


class Colorizer:
    """Colorize photos with one checkpoint on one device."""

    def __init__(self, checkpoint: str | os.PathLike | None = None, device: str = "auto", render_size: int = 256,
                 saturation: float = 1.0, streams: int = 1, temperature: float | None = None,
                 prior_boost: float | None = None, warmth: float = 0.0):
        """saturation scales the predicted colour on top of the model's own calibrated colour_gain.

        temperature, prior_boost: for a classification model, its read-out instead of the model's own
        (core.models.colour_bins).

        streams: how many predict_ab calls may run at once (see share_cpu_threads). Each gets its own copy of
        the model's modules (sharing the weights), because fastai's U-Net keeps the encoder's activations in
        hooks that one pass would overwrite under another.
        """
        import torch

        from core.checkpoint import load_checkpoint

        self.render_size, self.saturation, self.warmth = render_size, saturation, warmth  # checked by the setters
        self.device = pick_device(device)
        self.checkpoint_path = Path(checkpoint) if checkpoint else default_checkpoint()
        ckpt = load_checkpoint(self.checkpoint_path, device=self.device)
        self.model, self.config, self.card = ckpt.model, ckpt.config, ckpt.card
        self._set_readout(temperature, prior_boost)
        if self.device.startswith("cuda"):  # NHWC is what the GPU's bf16 convolutions run fastest on
            self.model = self.model.to(memory_format=torch.channels_last)
        self.colour_gain = _colour_gain(self.card)
        self._torch = torch
        self.streams = max(1, int(streams))
        self._free_models: queue.SimpleQueue = queue.SimpleQueue()  # models not running a pass right now
        for i in range(self.streams):
            self._free_models.put(self.model if i == 0 else _replica(self.model))
        self._cpu_copy = None  # a CPU twin of the model, made only if the GPU runs out of memory

    def _set_readout(self, temperature: float | None, prior_boost: float | None) -> None:
        if temperature is None and prior_boost is None:
            return
        if not hasattr(self.model, "temperature"):
            raise ValueError(f"{self.checkpoint_path}: temperature and prior boost apply to classification models only")
        if temperature is not None:
            if not temperature > 0:
                raise ValueError(f"temperature must be above 0 (got {temperature})")
            self.model.temperature = float(temperature)
        if prior_boost is not None:
            if not self.config.bin_log_weights:
                raise ValueError(f"{self.checkpoint_path}: has no class weights to boost by")
            self.model.prior_boost = float(prior_boost)

    @property
    def render_size(self) -> int:
        """The size the colour is predicted at (a multiple of 32): smaller is faster, larger more detailed."""
        return self._render_size

    @render_size.setter
    def render_size(self, size: int) -> None:
        self._render_size = check_render_size(size)

    @property
    def warmth(self) -> float:
        """-1 (cool) .. 0 (the prediction as it is) .. 1 (warm): a shift of the colour along WARM_AB."""
        return self._warmth

    @warmth.setter
    def warmth(self, value: float) -> None:
        self._warmth = check_warmth(value)

    @property
    def saturation(self) -> float:
        """Scales the predicted colour on top of the model's calibrated colour_gain (0: gray)."""
        return self._saturation

    @saturation.setter
    def saturation(self, value: float) -> None:
        self._saturation = check_saturation(value)

    def render_input(self, lightness: np.ndarray) -> np.ndarray:
        """A full-size L* array squashed to render_size x render_size (what the model sees)."""
        r = self.render_size
        return lightness if lightness.shape == (r, r) else _resize(lightness, (r, r))

    def predict_ab(self, lightness: Sequence[np.ndarray], hints: Sequence[Sequence[Hint]] | None = None
                   ) -> list[np.ndarray]:
        """ab (2 x R x R, unnormalised) predicted for each full-size L* array, in one batch: the model's colour
        times its gain and the saturation, warmed or cooled by the warmth, then each photo's hints (if any)."""
        torch = self._torch
        small = np.stack([self.render_input(l) for l in lightness])[:, None]
        model = self._free_models.get()  # waits only when more than `streams` callers run at once
        try:
            ab = self._predict(model, self.config.normalisation.normalize_l(torch.from_numpy(small)))
        finally:
            self._free_models.put(model)
        ab = self.config.normalisation.denormalize_ab(ab).numpy() * (self.colour_gain * self.saturation)
        ab = warm(ab, self.warmth)
        out = list(ab)
        for i, photo_hints in enumerate(hints or []):
            if photo_hints:
                h, w = lightness[i].shape
                out[i] = apply_hints(small[i, 0], out[i], list(photo_hints), (w, h))
        return out

    def suggest_colours(self, lightness: np.ndarray, x: int, y: int, k: int = 6) -> list[str]:
        """Colours (#rrggbb) a hint at (x, y) of a full-size L* array might want: first the model's own colour
        there, then, for a classification model, the other likely colours of its distribution at that point
        (as ideepcolor suggests them), each at the photo's lightness there."""
        torch = self._torch
        h, w = lightness.shape
        r = self.render_size
        small = self.render_input(lightness)
        ry, rx = min(int(y * r / h), r - 1), min(int(x * r / w), r - 1)
        l_star = float(small[ry, rx])
        x_in = self.config.normalisation.normalize_l(torch.from_numpy(np.array(small[None, None], np.float32)))
        own = self.predict_ab([lightness])[0][:, ry, rx]
        candidates = [(float(own[0]), float(own[1]))]
        if hasattr(self.model, "bins"):
            model = self._free_models.get()
            try:
                with torch.inference_mode():
                    logits = model(x_in.to(self.device), logits=True).float().cpu()[0]
            finally:
                self._free_models.put(model)
            gy, gx = min(ry * logits.shape[1] // r, logits.shape[1] - 1), min(rx * logits.shape[2] // r, logits.shape[2] - 1)
            p = torch.softmax(logits[:, gy, gx], 0)
            for q in p.argsort(descending=True)[:3 * k].tolist():
                a, b = self.model.bins.centres[q].tolist()
                if all(abs(a - a2) + abs(b - b2) > 12 for a2, b2 in candidates):  # distinct enough to offer
                    candidates.append((a, b))
        rgb = lab.lab_to_rgb(np.array([[[l_star, a, b] for a, b in candidates[:k]]], np.float32))[0]
        return [f"#{int(cr * 255 + 0.5):02x}{int(cg * 255 + 0.5):02x}{int(cb * 255 + 0.5):02x}" for cr, cg, cb in rgb]

    def _forward(self, model, x, device: str):
        torch = self._torch
        bf16 = device != "cpu" or _cpu_bf16()
        with torch.inference_mode(), torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            return model(x.to(device)).float().cpu()

    def _predict(self, model, x):
        """Forward pass on the device; on CUDA out-of-memory retry in halves, then on the CPU (with a warning)."""
        torch = self._torch
        try:
            return self._forward(model, x, self.device)
        except torch.cuda.OutOfMemoryError:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if len(x) > 1:
                warnings.warn(f"GPU out of memory for a batch of {len(x)}; retrying in smaller batches")
                half = len(x) // 2
                return torch.cat([self._predict(model, x[:half]), self._predict(model, x[half:])])
            warnings.warn("GPU out of memory even for one photo; colorizing it on the CPU instead")
            return self._forward(self._cpu_model(), x, "cpu")

    def _cpu_model(self):
        if self._cpu_copy is None:
            self._cpu_copy = copy.deepcopy(self.model).to("cpu") if self.device != "cpu" else self.model
        return self._cpu_copy

    def colorize_photos(self, photos: Sequence[Photo], hints: Sequence[Sequence[Hint]] | None = None
                        ) -> list[Image.Image]:
        """Colour images for already-loaded photos, predicted as one batch (hints: per photo, or None)."""
        if not photos:
            return []
        abs_ = self.predict_ab([p.lightness for p in photos], hints)
        return [merge(p, ab) for p, ab in zip(photos, abs_)]

    def colorize(self, image: Image.Image, hints: Sequence[Hint] = ()) -> Image.Image:
        """Colorize a PIL image of any mode; the result has its size (after EXIF orientation). Hint points are in
        the pixels of this image, upright."""
        return self.colorize_photos([photo_from_image(image)], [hints])[0]

    def colorize_file(self, path: str | os.PathLike) -> Image.Image:
        return self.colorize_photos([load_photo(path)])[0]


def start_colorizer(checkpoint: str | os.PathLike | None = None, device: str = "auto", render_size: int = 256,
                    saturation: float = 1.0, streams: int = 2, warmth: float = 0.0) -> Colorizer:
    """The colorizer both front ends start from user settings: idle threads that sleep, the device resolved,
    torch's CPU threads shared among `streams` concurrent passes, and every setting checked.

    Raises ValueError for a bad setting, RuntimeError for an unavailable device and CheckpointError for a
    model that cannot be loaded, each with a one-line message.
    """
    check_render_size(render_size)
    check_saturation(saturation)
    check_warmth(warmth)
    prefer_passive_threads()
    device = pick_device(device)
    if device not in _STREAMS:  # split the threads once per process: the app starts a colorizer per model
        _STREAMS[device] = share_cpu_threads(device, streams)
    return Colorizer(checkpoint, device=device, render_size=render_size, saturation=saturation,
                     streams=_STREAMS[device], warmth=warmth)


_STREAMS: dict[str, int] = {}  # device -> the concurrent passes start_colorizer settled on


def _replica(model):
    """A copy of model for a concurrent forward pass: its own modules and hooks, the same weight tensors."""
    tensors = [*model.parameters(), *model.buffers()]
    return copy.deepcopy(model, memo={id(t): t for t in tensors})  # weights shared: inference never writes them


def _colour_gain(card: dict) -> float:
    """The model's calibrated ab gain from its card (1.0 when absent or not a sane number).

    An L1-trained model predicts muted colour; its card may record the gain, measured on the evaluation set,
    that brings its colourfulness closest to real photos' without costing PSNR (see the model's card).
    """
    gain = card.get("colour_gain", 1.0)
    return float(gain) if isinstance(gain, (int, float)) and 0.0 <= gain <= 4.0 else 1.0


def _cpu_bf16() -> bool:
    # bf16 autocast halves CPU inference time on CPUs with native bf16/AVX-512; opt out with the env var.
    return os.environ.get("COLORIZER_CPU_BF16", "1") == "1"


def _resize(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a float32 H x W array to (width, height) with PIL's antialiased bilinear filter."""
    return np.asarray(Image.fromarray(a).resize(size, Image.BILINEAR), dtype=np.float32)


def merge(photo: Photo, ab_small: np.ndarray) -> Image.Image:
    """Upsample predicted ab to the photo's size, join it with the photo's own L and convert to sRGB.

    Strip by strip, upsampling included, so a 50 MP scan never holds full-size float a and b.
    """
    w, h = photo.size
    rows_small = ab_small.shape[1]
    a_small, b_small = (Image.fromarray(np.ascontiguousarray(c, dtype=np.float32)) for c in ab_small)
    out = Image.new("RGB", (w, h))
    for y in range(0, h, _MERGE_ROWS):
        y1 = min(y + _MERGE_ROWS, h)
        # the strip's rows of the full-size bilinear upsampling: PIL places output row centres by the box
        # and still reads source rows beyond it, so strips join without seams
        box = (0.0, y * rows_small / h, float(ab_small.shape[2]), y1 * rows_small / h)
        a, b = (np.asarray(c.resize((w, y1 - y), Image.BILINEAR, box=box)) for c in (a_small, b_small))
        planes = lab.lab_to_rgb_u8(photo.lightness[y:y1], a, b)
        out.paste(Image.merge("RGB", [Image.fromarray(p) for p in planes]), (0, y))
    if photo.alpha is not None:
        out.putalpha(Image.fromarray(photo.alpha))
    return out
