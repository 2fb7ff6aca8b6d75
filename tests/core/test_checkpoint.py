import json

import pytest
import torch
from safetensors.torch import save_file

from core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from core.models import GeneratorConfig, build_model


@pytest.fixture(scope="module")
def small():
    config = GeneratorConfig(img_size=64)
    torch.manual_seed(0)
    return build_model(config), config


def test_round_trip_keeps_config_card_and_weights(tmp_path, small):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config, {"epochs": 3, "data": "x"})
    ckpt = load_checkpoint(path)
    assert ckpt.config == config
    assert ckpt.card == {"epochs": 3, "data": "x"}
    for (name, a), b in zip(model.state_dict().items(), ckpt.model.state_dict().values()):
        assert torch.equal(a, b), name
    assert not ckpt.model.training


def test_half_precision_file_loads_as_float32(tmp_path, small):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config, half=True)
    loaded = load_checkpoint(path).model.state_dict()
    w = "layers.0.0.weight"
    assert loaded[w].dtype == torch.float32
    torch.testing.assert_close(loaded[w], model.state_dict()[w], atol=1e-3, rtol=1e-3)


def test_truncated_file_is_a_one_line_error_naming_it(tmp_path, small):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"\x80\x04\x95" + b"\0" * 64])
def test_garbage_file_is_an_error(tmp_path, content):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        load_checkpoint(path)


def test_foreign_safetensors_file_is_rejected(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="foreign.safetensors.*format"):
        read_metadata(path)


def _rewrite(path, tensors=None, **meta_changes):
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
    meta.update(meta_changes)
    save_file(tensors if tensors is not None else load_file(str(path)), str(path), metadata=meta)


def test_wrong_shape_weights_are_rejected(tmp_path, small):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config)
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    tensors["layers.0.0.weight"] = torch.zeros(3, 3)
    _rewrite(path, tensors)
    with pytest.raises(CheckpointError, match="layers.0.0.weight.*shape"):
        load_checkpoint(path)


def test_missing_weights_are_rejected(tmp_path, small):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config)
    _rewrite(path, {"w": torch.zeros(1)})
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(path)


@pytest.mark.parametrize("config_json", ['{"arch": "resnet18", "evil": 1}', '{"arch": 5}', "[]", "{not json"])
def test_bad_config_metadata_is_rejected(tmp_path, small, config_json):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config)
    _rewrite(path, config=config_json)
    with pytest.raises(CheckpointError, match="bad metadata"):
        read_metadata(path)


def test_unknown_kind_is_rejected(tmp_path, small):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config)
    _rewrite(path, kind="os.system")
    with pytest.raises(CheckpointError, match="unknown model kind"):
        read_metadata(path)


def test_card_is_plain_json(tmp_path, small):
    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config, {"wall_time_s": 12})
    _rewrite(path, card=json.dumps(["not", "a", "dict"]))
    with pytest.raises(CheckpointError, match="card"):
        read_metadata(path)


def test_read_metadata_needs_neither_torch_nor_the_weights(tmp_path, small):
    import subprocess
    import sys

    model, config = small
    path = save_checkpoint(tmp_path / "m.safetensors", model, config, {"name": "Test", "epochs": 2})
    meta = read_metadata(path)
    assert meta["card"] == {"name": "Test", "epochs": 2} and meta["config"] == config
    code = f"import sys; from core.checkpoint import read_metadata; read_metadata({str(path)!r}); " \
           "print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_read_metadata_refuses_files_that_are_not_our_checkpoints(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign), metadata={"format": "something-else"})
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\xff" * 64)
    for path, cause in ((foreign, "not a shoebox"), (junk, "not a readable"), (tmp_path / "gone.safetensors",
                                                                             "no such file")):
        with pytest.raises(CheckpointError, match=cause):
            read_metadata(path)


class _Evil:
    """Unpickling this would run a shell command that creates a file."""

    target = None

    def __reduce__(self):
        import os

        return (os.system, (f"touch {_Evil.target}",))


@pytest.mark.parametrize("suffix", [".pth", ".pt", ".safetensors"])
def test_a_malicious_pickle_never_runs(tmp_path, suffix):
    import pickle

    _Evil.target = tmp_path / "pwned"
    path = tmp_path / f"evil{suffix}"
    torch.save({"layers.0.0.weight": torch.zeros(1), "payload": _Evil()}, path)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
    assert not _Evil.target.exists(), "the pickle's code ran"
    # and a raw pickle stream of the same object, too
    path.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not _Evil.target.exists()


def test_a_plain_pth_state_dict_is_accepted(tmp_path, small):
    model, _ = small
    path = tmp_path / "res18-unet.pt"
    torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, path)  # as a DDP run saves it
    ckpt = load_checkpoint(path)
    assert ckpt.config == GeneratorConfig()
    w = "layers.0.0.weight"
    assert torch.equal(ckpt.model.state_dict()[w], model.state_dict()[w])


def test_a_pth_of_another_architecture_is_a_clear_error(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(10, 5)}, path)
    with pytest.raises(CheckpointError, match="other.pth: weights do not match a generator"):
        load_checkpoint(path)
