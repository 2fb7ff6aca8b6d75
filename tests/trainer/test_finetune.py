"""trainer finetune: a personal model from a family's colour photos, on tiny photos made here."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from core.checkpoint import load_checkpoint
from tests.helpers import random_gray, random_rgb
from trainer.cli import main

TINY = ["--size", "32", "--batch-size", "4", "--threads", "1"]


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    """24 colour photos in two folders, 3 black-and-white, 1 sepia print and 1 unreadable file."""
    d = tmp_path_factory.mktemp("family")
    (d / "1970s").mkdir()
    for i in range(24):
        random_rgb(48, 40, seed=100 + i).save(d / ("1970s" if i % 2 else "") / f"colour_{i}.jpg")
    for i in range(3):
        random_gray(48, 40, seed=i).save(d / f"bw_{i}.jpg")
    g = np.asarray(random_gray(48, 40, seed=9), np.float32) / 255
    sepia = (g[..., None] * np.array([255, 215, 160])).clip(0, 255).astype(np.uint8)  # one warm tint
    Image.fromarray(sepia).save(d / "sepia.jpg")
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    return d


def _finetune(*args):
    return CliRunner().invoke(main, ["finetune", *map(str, args)], catch_exceptions=False)


def test_finetune_writes_a_best_model_whose_card_tells_its_story(family, tmp_path, tiny_checkpoint):
    run = tmp_path / "run"
    r = _finetune("--init", tiny_checkpoint, "--data", family, "--out", run, "--minutes", "0.3", *TINY,
                  "--cache", tmp_path / "cache")
    assert r.exit_code == 0, r.output
    card = load_checkpoint(run / "best.safetensors").card
    f = card["finetune"]
    assert f["photos_used"] == 24 and f["photos_held_out"] == 5
    assert f["skipped"] == {"black and white": 3, "sepia or tinted": 1, "unreadable": 1}
    assert 0 < f["minutes"] <= 1.0
    assert set(f["held_out"]) == {"starting_model", "personal_model"}
    assert {"psnr", "valid_loss"} <= set(f["held_out"]["personal_model"])
    assert card["stage"].startswith("finetune") and card["hardware"].startswith("CPU")
    assert "skipped 3 black and white, 1 sepia or tinted, 1 unreadable" in r.output
    assert "stopping after epoch" in r.output  # the time budget or the patience ended it, not the epoch cap


def test_too_few_colour_photos_is_a_clear_message_not_a_run(tmp_path, tiny_checkpoint):
    d = tmp_path / "few"
    d.mkdir()
    for i in range(6):
        random_rgb(48, 40, seed=i).save(d / f"c{i}.jpg")
    for i in range(30):
        random_gray(48, 40, seed=i).save(d / f"g{i}.jpg")
    r = CliRunner().invoke(main, ["finetune", "--init", str(tiny_checkpoint), "--data", str(d), "--out",
                                  str(tmp_path / "run"), *TINY])
    assert r.exit_code == 1
    assert "6 usable colour photos (30 black and white); a personal model needs at least 20" in r.output
    assert not (tmp_path / "run" / "best.safetensors").exists()


def test_a_killed_finetune_resumes_and_finishes(family, tmp_path, tiny_checkpoint):
    run = tmp_path / "killed"
    cmd = [sys.executable, "-m", "trainer.cli", "finetune", "--init", str(tiny_checkpoint), "--data", str(family),
           "--out", str(run), "--minutes", "0.4", "--patience", "0", "--save-every", "2", *TINY,
           "--cache", str(tmp_path / "cache")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        steps = run / "steps.csv"
        if steps.exists() and len(steps.read_text().splitlines()) > 8:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    r = subprocess.run([sys.executable, "-m", "trainer.cli", "resume", str(run)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "resuming at epoch" in r.stdout + r.stderr and "stopping after epoch" in r.stdout + r.stderr
    card = load_checkpoint(run / "best.safetensors").card
    assert card["finetune"]["minutes"] >= 0.3  # the budget counts the time before the kill too
    config = json.loads((run / "config.json").read_text())
    assert config["stage"] == "finetune" and config["colour_only"] is True


def test_finetune_keeps_the_starting_models_batchnorm_statistics(family, tmp_path, tiny_checkpoint):
    import torch

    def bn_stats(model):
        return [(m.running_mean.clone(), m.running_var.clone()) for m in model.modules()
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]

    start = bn_stats(load_checkpoint(tiny_checkpoint).model)
    assert start
    for flag, kept in (("--freeze-bn", True), ("--train-bn", False)):
        run = tmp_path / flag
        r = _finetune("--init", tiny_checkpoint, "--data", family, "--out", run, "--minutes", "0.1", "--patience",
                      "1", flag, *TINY, "--cache", tmp_path / "cache")
        assert r.exit_code == 0, r.output
        after = bn_stats(load_checkpoint(run / "last.safetensors").model)
        same = all(torch.allclose(a[0], b[0], atol=1e-3) and torch.allclose(a[1], b[1], rtol=1e-2)
                   for a, b in zip(start, after))
        assert same == kept, flag
