"""Model configs and their build functions. A checkpoint names its kind; this registry maps it back."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable

from core.models.generator import GeneratorConfig, build_generator
from core.models.patchgan import PatchGANConfig, build_patchgan

# kind -> (config dataclass, build function)
REGISTRY: dict[str, tuple[type, Callable[[Any], Any]]] = {
    "generator": (GeneratorConfig, build_generator),
    "patchgan": (PatchGANConfig, build_patchgan),
}


def kind_of(config: Any) -> str:
    for kind, (cls, _) in REGISTRY.items():
        if isinstance(config, cls):
            return kind
    raise TypeError(f"unknown model config type {type(config).__name__}")


def build_model(config: Any):
    """Build the model a config describes."""
    return REGISTRY[kind_of(config)][1](config)


def config_to_json(config: Any) -> str:
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def config_from_json(kind: str, text: str) -> Any:
    """Parse a stored config strictly: known kind, known fields, plain JSON values only."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown model kind {kind!r}")
    cls = REGISTRY[kind][0]
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("model config is not a JSON object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"unknown model config field(s) {', '.join(map(repr, unknown))}")
    values = {}
    for name, value in data.items():
        default = getattr(cls(), name)
        if isinstance(default, tuple):
            value = tuple(value) if isinstance(value, list) else value
            if isinstance(value, tuple) and not all(type(v) in (int, float) for v in value):
                raise ValueError(f"model config field {name!r} holds something other than numbers")
        if type(value) is not type(default) and not (isinstance(default, float) and type(value) is int):
            raise ValueError(f"model config field {name!r} has type {type(value).__name__}, "
                             f"expected {type(default).__name__}")
        values[name] = value
    return cls(**values)


__all__ = ["GeneratorConfig", "PatchGANConfig", "build_generator", "build_patchgan", "build_model", "config_from_json", "config_to_json", "kind_of"]
