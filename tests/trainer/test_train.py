"""End-to-end runs of the trainer on tiny made-up photos: both stages, kill -9 and resume, DDP, eval."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from click.testing import CliRunner

from core.checkpoint import load_checkpoint
from tests.helpers import random_rgb
from trainer.cli import main

SMALL = ["--size", "32", "--batch-size", "2", "--threads", "1"]


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _invoke(*args):
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def _trainer(*args):
    return [sys.executable, "-m", "trainer.cli", *map(str, args)]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    d = tmp_path_factory.mktemp("photos")
    for i in range(10):
        random_rgb(48, 40, seed=i).save(d / f"{i}.png")
    return d


@pytest.fixture(scope="module")
def stage1(photos, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "stage1"
    _invoke("pretrain", "--data", photos, "--out", run, "--epochs", "2", *SMALL,
            "--cache", run.parent / "cache")
    return run


def _assert_artefacts(run, epochs):
    for name in ("config.json", "metrics.csv", "steps.csv", "losses.png", "last.safetensors",
                 "best.safetensors", "state.pt"):
        assert (run / name).exists(), name
    assert sorted(p.name for p in (run / "samples").iterdir()) == [f"epoch_{e:03d}.png" for e in range(epochs)]
    rows = _rows(run / "metrics.csv")
    assert [r["epoch"] for r in rows] == [str(e) for e in range(epochs)]
    assert {"valid_loss", "psnr", "colourfulness", "delta_cf"} <= set(rows[0])


def test_stage1_writes_every_artefact(stage1):
    _assert_artefacts(stage1, 2)
    losses = [float(r["loss"]) for r in _rows(stage1 / "steps.csv")]
    assert sum(losses[-3:]) < sum(losses[:3])  # it learns: the last steps' loss is below the first ones'
    last = load_checkpoint(stage1 / "last.safetensors")
    assert last.card["epochs_done"] == 2 and last.card["stage"].startswith("pretrain")
    assert "valid_loss" in last.card["validation"]
    steps = _rows(stage1 / "steps.csv")
    assert [int(r["step"]) for r in steps] == list(range(1, 9))  # 9 training photos, batch 2, 2 epochs


def test_stage2_gan_writes_every_artefact_and_logs_both_players(stage1, photos, tmp_path):
    run = tmp_path / "gan"
    r = _invoke("gan", "--init", stage1 / "last.safetensors", "--data", photos, "--out", run, "--epochs", "2",
                *SMALL, "--cache", stage1.parent / "cache", "--ada", "--gan-mode", "lsgan", "--no-channels-last")
    _assert_artefacts(run, 2)
    summaries = [line for line in r.output.splitlines() if line.startswith("epoch ") and "img/s" in line]
    assert [s.split(":")[0] for s in summaries] == ["epoch 1/2", "epoch 2/2"]
    assert json.loads((run / "config.json").read_text())["channels_last"] is False
    steps = _rows(run / "steps.csv")
    assert {"loss_d", "loss_g_adv", "loss_l1", "d_real", "d_fake", "ada_p"} <= set(steps[0])
    for row in steps:  # G's loss is the adversarial term plus lambda (100) times L1, at every step
        assert float(row["loss"]) == pytest.approx(float(row["loss_g_adv"]) + 100 * float(row["loss_l1"]), rel=1e-4)
    assert load_checkpoint(run / "last.safetensors").card["stage"].startswith("gan")


PRETRAINED_CLASSIFIER = ["--arch", "efficientnet_lite0", "--pretrained", "--head", "classification", "--ema", "0.9",
                         "--freeze-epochs", "1", "--body-lr-mult", "0.1", "--final-size", "64", "--final-epochs", "1"]


@pytest.mark.parametrize("options", [[], PRETRAINED_CLASSIFIER], ids=["resnet-l1", "lite0-classification-ema"])
def test_kill_9_then_resume_follows_the_same_steps_and_schedule(photos, stage1, tmp_path, options):
    common = ["--data", photos, "--epochs", "3", *SMALL, "--cache", stage1.parent / "cache",
              "--save-every", "2", *options]
    straight = tmp_path / "straight"
    subprocess.run(_trainer("pretrain", "--out", straight, *common), check=True, capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_trainer("pretrain", "--out", killed, *common), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    steps = killed / "steps.csv"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if steps.exists() and len(steps.read_text().splitlines()) > 6:  # in the middle of epoch 1
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert len(_rows(killed / "metrics.csv")) < 3

    subprocess.run(_trainer("resume", killed), check=True, capture_output=True)
    a, b = _rows(straight / "steps.csv"), _rows(killed / "steps.csv")
    assert [r["step"] for r in b] == [r["step"] for r in a]
    assert [float(r["lr"]) for r in b] == pytest.approx([float(r["lr"]) for r in a], rel=1e-9)
    assert [float(r["loss"]) for r in b] == pytest.approx([float(r["loss"]) for r in a], rel=1e-3)
    assert [r["epoch"] for r in _rows(killed / "metrics.csv")] == ["0", "1", "2"]
    final = [load_checkpoint(run / "last.safetensors").model.state_dict() for run in (straight, killed)]
    for name, value in final[0].items():
        torch.testing.assert_close(final[1][name], value, atol=1e-4, rtol=1e-3, msg=name)


def test_ddp_with_two_gloo_processes(photos, stage1, tmp_path):
    run = tmp_path / "ddp"
    # --standalone: a free port of its own, so two test runs at once (or a leftover) cannot collide
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "trainer.cli", "pretrain", "--data", str(photos), "--out", str(run), "--epochs", "1",
           *SMALL, "--cache", str(stage1.parent / "cache"), "--device", "cpu"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    _assert_artefacts(run, 1)
    # each process takes half of every epoch: 9 photos -> 5 per rank -> 2 full batches of 2
    assert len(_rows(run / "steps.csv")) == 2
    assert "2 processes" in load_checkpoint(run / "last.safetensors").card["hardware"]
    assert "the 2 processes hold identical generator parameters" in r.stdout


def test_eval_prints_the_table_and_writes_json_and_grid(stage1, photos, tmp_path):
    r = _invoke("eval", stage1 / "last.safetensors", "--data", photos, "--render-size", "32",
                "--json", tmp_path / "e.json", "--grid", tmp_path / "grid.png")
    lines = r.output.splitlines()
    assert lines[0].startswith("10 photos") and "colour gain 1 x saturation 1" in lines[0]
    for metric in ("PSNR", "CIEDE2000", "AuC ab", "colourfulness", "dCF"):
        assert any(line.startswith(metric) for line in lines), metric
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["mean"]["gray"]["colourfulness"] < 1.0 < result["mean"]["truth"]["colourfulness"]
    from PIL import Image

    with Image.open(tmp_path / "grid.png") as im:
        assert im.height == 3 * 160


def test_export_writes_fp16_with_the_merged_card(stage1, tmp_path):
    from safetensors import safe_open

    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"eval": {"psnr": 21.5}}))
    dest = tmp_path / "shipped.safetensors"
    _invoke("export", stage1 / "last.safetensors", dest, "--card", extra)
    with safe_open(str(dest), framework="pt") as f:
        assert f.get_tensor("layers.0.0.weight").dtype.is_floating_point
        assert str(f.get_tensor("layers.0.0.weight").dtype) == "torch.float16"
    card = load_checkpoint(dest).card
    assert card["eval"] == {"psnr": 21.5} and card["epochs_done"] == 2


def test_gan_best_prefers_colour_within_half_a_db_and_else_the_least_psnr_lost():
    from trainer.config import RunConfig
    from trainer.loop import best_rule

    score = best_rule(RunConfig(stage="gan", data="d", out="o", init="x"), init_psnr=24.0)
    lost_2db = score({"psnr": "22.0", "delta_cf": "5.0"})
    lost_1db = score({"psnr": "23.0", "delta_cf": "20.0"})
    within_dull = score({"psnr": "23.8", "delta_cf": "25.0"})
    within_vivid = score({"psnr": "23.6", "delta_cf": "12.0"})
    assert within_vivid < within_dull < lost_1db < lost_2db


def test_a_classification_run_counts_its_class_weights_and_export_sets_the_read_out(photos, stage1, tmp_path):
    run = tmp_path / "cls"
    _invoke("pretrain", "--init", stage1 / "last.safetensors", "--head", "classification", "--data", photos,
            "--out", run, "--epochs", "1", *SMALL, "--cache", stage1.parent / "cache")
    ckpt = load_checkpoint(run / "last.safetensors")
    assert ckpt.config.head == "classification" and len(ckpt.config.bin_log_weights) == len(ckpt.model.bins)
    assert any(w != 0 for w in ckpt.config.bin_log_weights)  # counted from the photos, not a placeholder
    assert ckpt.card["stage"].startswith("pretrain (classification")
    dest = tmp_path / "shipped.safetensors"
    _invoke("export", run / "last.safetensors", dest, "--temperature", "0.5", "--prior-boost", "0.7")
    shipped = load_checkpoint(dest)
    assert (shipped.config.temperature, shipped.config.prior_boost) == (0.5, 0.7)
    assert shipped.model.prior_boost == 0.7 and shipped.model.temperature == 0.5
    r = CliRunner().invoke(main, ["export", str(stage1 / "last.safetensors"), str(dest), "--prior-boost", "1"])
    assert r.exit_code == 2 and "classification models only" in r.output
    r = CliRunner().invoke(main, ["export", str(stage1 / "last.safetensors"), str(dest),
                                  "--class-weights-from", str(photos)])
    assert r.exit_code == 2 and "classification models only" in r.output
