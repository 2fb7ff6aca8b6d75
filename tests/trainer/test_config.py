"""RunConfig: refused settings are one clear message each; the progressive-size schedule."""

import pytest

from trainer.config import RunConfig


def _cfg(**kw):
    return RunConfig(**{"stage": "pretrain", "data": "d", "out": "o", **kw})


@pytest.mark.parametrize("kw, message", [
    ({"stage": "distill"}, "unknown stage"),
    ({"stage": "finetune"}, "give --init"),
    ({"stage": "gan"}, "give --init"),
    ({"size": 100}, "--size must be a multiple of 32"),
    ({"final_size": 200, "final_epochs": 1}, "--final-size must be a multiple of 32"),
    ({"arch": "vgg16"}, "unknown --arch"),
    ({"head": "softmax"}, "unknown --head"),
    ({"stage": "gan", "init": "x", "head": "classification"}, "regression head"),
    ({"ema": 1.0}, "--ema"),
    ({"epochs": 2, "freeze_epochs": 3}, "--freeze-epochs"),
    ({"final_epochs": 1}, "--final-epochs needs --final-size"),
])
def test_bad_settings_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        _cfg(**kw)


def test_defaults_per_stage_and_the_size_schedule():
    assert _cfg().lr == 1e-3 and _cfg(stage="gan", init="x").lr == 2e-4
    assert _cfg().adam == (0.9, 0.99, 1e-5, 0.01) and _cfg(stage="gan", init="x").adam == (0.5, 0.999, 1e-8, 0.0)
    cfg = _cfg(epochs=5, size=128, final_size=224, final_epochs=2)
    assert [cfg.size_at(e) for e in range(5)] == [128, 128, 128, 224, 224]
    assert [_cfg(epochs=3).size_at(e) for e in range(3)] == [128, 128, 128]


def test_save_and_load_round_trip(tmp_path):
    cfg = _cfg(head="classification", ema=0.999, final_size=160, final_epochs=1, argv=["trainer", "x"])
    cfg.save(tmp_path)
    assert RunConfig.load(tmp_path) == cfg
