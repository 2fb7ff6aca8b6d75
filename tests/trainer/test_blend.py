import torch
from click.testing import CliRunner

from core.checkpoint import load_checkpoint, save_checkpoint
from core.models import GeneratorConfig, PatchGANConfig, build_model
from trainer.cli import main


def _save(path, config, seed):
    torch.manual_seed(seed)
    save_checkpoint(path, build_model(config), config)
    return path


def test_blend_interpolates_every_weight_and_records_itself(tmp_path):
    a = _save(tmp_path / "a.safetensors", GeneratorConfig(), 0)
    b = _save(tmp_path / "b.safetensors", GeneratorConfig(), 1)
    r = CliRunner().invoke(main, ["blend", str(a), str(b), str(tmp_path / "m.safetensors"), "--alpha", "0.25"])
    assert r.exit_code == 0, r.output
    m = load_checkpoint(tmp_path / "m.safetensors")
    sa, sb = load_checkpoint(a).model.state_dict(), load_checkpoint(b).model.state_dict()
    for k, v in m.model.state_dict().items():
        if v.is_floating_point():
            torch.testing.assert_close(v, (0.75 * sa[k] + 0.25 * sb[k]).half().float(), atol=2e-3, rtol=1e-3)
    assert m.card["blend"]["alpha"] == 0.25


def test_blend_refuses_different_architectures_and_bad_alpha(tmp_path):
    a = _save(tmp_path / "a.safetensors", GeneratorConfig(), 0)
    d = _save(tmp_path / "d.safetensors", PatchGANConfig(), 0)
    r = CliRunner().invoke(main, ["blend", str(a), str(d), str(tmp_path / "m.safetensors"), "--alpha", "0.5"])
    assert r.exit_code == 1 and "different architecture" in r.output
    r = CliRunner().invoke(main, ["blend", str(a), str(a), str(tmp_path / "m.safetensors"), "--alpha", "1.5"])
    assert r.exit_code == 2
    assert not (tmp_path / "m.safetensors").exists()
