"""The `trainer` command: stage-1 training and evaluation of colorization models."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Train and evaluate colorization models."""


@main.command()
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of colour photos (searched recursively).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run directory: metrics.csv, last/best checkpoints.")
@click.option("--epochs", default=5, show_default=True)
@click.option("--size", default=128, show_default=True, help="Training crop size in pixels (multiple of 32).")
@click.option("--batch-size", "-b", default=16, show_default=True)
@click.option("--lr", default=1e-3, show_default=True, help="Peak learning rate of the one-cycle schedule.")
@click.option("--init", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Continue from this checkpoint (e.g. the shipped model) instead of a fresh network.")
@click.option("--pretrained", is_flag=True, help="Start the encoder from ImageNet weights (downloads them).")
@click.option("--bf16/--no-bf16", default=True, show_default=True, help="bfloat16 autocast (CPU and GPU).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              help="Where to keep the decoded Lab store (default: ~/.cache/shoebox-colorizer/lab/...).")
@click.option("--seed", default=0, show_default=True)
def pretrain(**kw) -> None:
    """Stage 1: train the generator alone with L1 loss."""
    from trainer.pretrain import PretrainOptions, pretrain as run

    run(PretrainOptions(**kw))


@main.command("eval")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data", required=True, type=click.Path(exists=True, path_type=Path),
              help="Folder of colour photos: each is made gray, colorized and compared with the original.")
@click.option("--render-size", default=256, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--limit", type=int, help="Evaluate only the first N photos.")
def eval_(checkpoint: Path, data: Path, render_size: int, device: str, limit: int | None) -> None:
    """Print PSNR, mean CIEDE2000 and colourfulness of a model beside the gray baseline."""
    from core.checkpoint import CheckpointError
    from trainer.evaluate import evaluate, format_table

    try:
        result = evaluate(checkpoint, data, render_size=render_size, device=device, limit=limit)
    except CheckpointError as e:
        raise click.ClickException(str(e)) from None
    click.echo(format_table(result))
