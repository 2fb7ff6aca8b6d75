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
    from safetensors.torch import save_file

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
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        save_file(tensors, str(tmp), metadata=metadata)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Kind, config and card of a checkpoint without loading its weights."""
    from safetensors import safe_open

    from core.models import config_from_json

    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except Exception as e:  # safetensors raises its own error types for malformed headers
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint ({one_line(e)})") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a {FORMAT} file (missing or foreign 'format' metadata)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: unsupported checkpoint version {meta.get('format_version')!r}")
    try:
        config = config_from_json(meta.get("kind", ""), meta.get("config", ""))
        card = json.loads(meta.get("card", "{}"))
        if not isinstance(card, dict):
            raise ValueError("model card is not a JSON object")
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{path}: bad metadata: {one_line(e)}") from None
    return {"kind": meta["kind"], "config": config, "card": card}


def load_checkpoint(path: str | os.PathLike, device: str = "cpu") -> Checkpoint:
    """Build the model a checkpoint describes and load its weights (as fp32)."""
    from safetensors.torch import load_file

    from core.models import build_model

    path = Path(path)
    meta = read_metadata(path)
    try:
        tensors = load_file(str(path), device="cpu")
    except Exception as e:
        raise CheckpointError(f"{path}: weights unreadable, the file may be truncated ({one_line(e)})") from None
    model = build_model(meta["config"])
    state = model.state_dict()
    missing = sorted(set(state) - set(tensors))
    unexpected = sorted(set(tensors) - set(state))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match a {meta['kind']} with this config "
            f"({len(missing)} missing, {len(unexpected)} unexpected, e.g. {(missing + unexpected)[0]!r})"
        )
    for name, t in tensors.items():
        if t.shape != state[name].shape:
            raise CheckpointError(f"{path}: tensor {name!r} has shape {tuple(t.shape)}, "
                                  f"the model expects {tuple(state[name].shape)}")
        tensors[name] = t.to(state[name].dtype)
    model.load_state_dict(tensors)
    model.eval().to(device)
    return Checkpoint(model=model, config=meta["config"], card=meta["card"], path=path)

