"""One self-describing file per model: safetensors weights + model kind, config and card in its metadata.

Loading rebuilds the model from the file alone. Nothing in the file is ever executed: safetensors holds raw
tensors only, and the metadata is parsed as plain JSON and checked field by field.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import one_line
from core.files import write_bytes_atomic

FORMAT = "shoebox-colorizer.checkpoint"
FORMAT_VERSION = "1"


class CheckpointError(Exception):
    """A checkpoint file that cannot be used; the message names the file and the cause."""


@dataclass
class Checkpoint:
    model: Any  # torch.nn.Module, eval mode, fp32
    config: Any
    card: dict = field(default_factory=dict)
    path: Path | None = None


def save_checkpoint(path: str | os.PathLike, model, config, card: dict | None = None, half: bool = False) -> Path:
    """Write model weights (fp16 when half) with kind, config and card, atomically."""
    from safetensors.torch import save

    from core.models import config_to_json, kind_of

    path = Path(path)
    tensors = {}
    for name, t in model.state_dict().items():
        t = t.detach().to("cpu")
        if half and t.is_floating_point():
            t = t.half()
        tensors[name] = t.contiguous()
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind_of(config),
        "config": config_to_json(config),
        "card": json.dumps(card or {}, sort_keys=True, default=str),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, save(tensors, metadata=metadata))
    return path


_MAX_HEADER = 100 * 1024 * 1024  # a safetensors header is JSON; anything larger is not a checkpoint of ours


def _header_metadata(path: Path) -> dict:
    """The string metadata of a safetensors file, parsed from its header by hand (no torch import)."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if not 2 <= size <= _MAX_HEADER:
                raise ValueError("bad header size")
            header = json.loads(f.read(size))
        meta = header.get("__metadata__") or {}
        if not isinstance(meta, dict):
            raise ValueError("metadata is not a JSON object")
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except (OSError, ValueError, AttributeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint ({one_line(e)})") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a {FORMAT} file (missing or foreign 'format' metadata)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: unsupported checkpoint version {meta.get('format_version')!r}")
    return meta


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Kind, config and card of a checkpoint, without loading its weights or importing torch."""
    from core.models import config_from_json

    path = Path(path)
    meta = _header_metadata(path)
    try:
        config = config_from_json(str(meta.get("kind", "")), str(meta.get("config", "")))
        card = json.loads(meta.get("card", "{}"))
        if not isinstance(card, dict):
            raise ValueError("model card is not a JSON object")
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{path}: bad metadata: {one_line(e)}") from None
    return {"kind": meta["kind"], "config": config, "card": card}


PLAIN_WEIGHT_SUFFIXES = (".pth", ".pt")


def load_checkpoint(path: str | os.PathLike, device: str = "cpu") -> Checkpoint:
    """Build the model a checkpoint describes and load its weights (as fp32).

    Accepted: this tool's .safetensors files, and a plain generator state_dict saved with torch.save as
    .pth/.pt (the seed tutorial's format), read with torch.load(weights_only=True) so no pickled code runs;
    such a file carries no config, so the default GeneratorConfig is assumed.
    """
    from core.models import GeneratorConfig, build_model, kind_of

    path = Path(path)
    if path.suffix.lower() in PLAIN_WEIGHT_SUFFIXES:
        config, card, tensors = GeneratorConfig(), {"source": f"plain weights file {path.name}"}, _load_plain(path)
    else:
        from safetensors.torch import load_file

        meta = read_metadata(path)
        config, card = meta["config"], meta["card"]
        try:
            tensors = load_file(str(path), device="cpu")
        except Exception as e:
            raise CheckpointError(f"{path}: weights unreadable, the file may be truncated ({one_line(e)})") from None
    model = build_model(config)
    state = model.state_dict()
    missing = sorted(set(state) - set(tensors))
    unexpected = sorted(set(tensors) - set(state))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match a {kind_of(config)} with this config "
            f"({len(missing)} missing, {len(unexpected)} unexpected, e.g. {(missing + unexpected)[0]!r})"
        )
    for name, t in tensors.items():
        if t.shape != state[name].shape:
            raise CheckpointError(f"{path}: tensor {name!r} has shape {tuple(t.shape)}, "
                                  f"the model expects {tuple(state[name].shape)}")
        tensors[name] = t.to(state[name].dtype)
    model.load_state_dict(tensors)
    model.eval().to(device)
    return Checkpoint(model=model, config=config, card=card, path=path)


def _load_plain(path: Path) -> dict:
    """A state_dict from torch.save, unpickled in weights-only mode: tensors and plain containers only."""
    import pickle

    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError, OSError) as e:
        raise CheckpointError(f"{path}: refused: not a plain weights file that loads without running code "
                              f"({one_line(e, 120)})") from None
    for key in ("state_dict", "model"):  # common wrappers around a state_dict
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                            for k, v in obj.items()):
        raise CheckpointError(f"{path}: not a state_dict (a mapping of names to tensors)")
    return {k.removeprefix("module."): v for k, v in obj.items()}
