import csv

from click.testing import CliRunner

from core.checkpoint import load_checkpoint
from trainer.cli import main
from tests.helpers import random_rgb


def test_pretrain_then_eval_on_tiny_images(tmp_path):
    data = tmp_path / "photos"
    data.mkdir()
    for i in range(10):
        random_rgb(48, 40, seed=i).save(data / f"{i}.png")
    run = tmp_path / "run"
    r = CliRunner().invoke(main, ["pretrain", "--data", str(data), "--out", str(run), "--epochs", "2",
                                  "--size", "32", "--batch-size", "4", "--cache", str(tmp_path / "cache")],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with open(run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    last = load_checkpoint(run / "last.safetensors")
    assert last.card["epochs_done"] == 2 and last.card["stage"].startswith("pretrain")
    assert (run / "best.safetensors").exists()

    r = CliRunner().invoke(main, ["eval", str(run / "last.safetensors"), "--data", str(data),
                                  "--render-size", "32"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("10 photos")
    cf = next(line for line in lines if line.startswith("colourfulness")).split()
    assert float(cf[2]) < 1.0  # the gray baseline has (almost) no colour; the truth has plenty
    assert float(cf[3]) > 10
