"""`colorize-folder IN... -o OUT`: colorize photos and folders into a mirrored output tree."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Output folder (created if needed); the input tree is mirrored inside it.")
@click.option("--checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Model checkpoint (.safetensors). Default: the bundled default model.")
@click.option("--render-size", default=256, show_default=True,
              help="Size the colour is predicted at (multiple of 32): smaller is faster, larger has more detail.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["keep", "jpg", "png", "tiff"]), default="keep",
              show_default=True, help="Output format; 'keep' writes the input's format (PNG for GIF/BMP).")
@click.option("--saturation", default=1.0, show_default=True,
              help="Colour strength: 1 is as the model predicts it, 0 is gray, 1.5 is 50 % stronger.")
@click.option("--batch-size", default=1, show_default=True, help="Photos predicted together.")
@click.option("--overwrite", is_flag=True, help="Redo photos whose output already exists (default: skip them).")
def main(inputs: tuple[Path, ...], output: Path, checkpoint: Path | None, render_size: int, device: str,
         fmt: str, saturation: float, batch_size: int, overwrite: bool) -> None:
    """Colorize black-and-white photos: files and folders (recursive) into OUTPUT.

    Originals are never modified. Exit code: 0 all done, 1 some photos failed, 2 usage error.
    """
    from tqdm import tqdm

    from core import batch
    from core.checkpoint import CheckpointError

    if output.exists() and not output.is_dir():
        raise click.UsageError(f"output {output} exists and is not a folder")
    jobs, refused = batch.plan(inputs, output, fmt)
    if not jobs and not refused:
        raise click.UsageError("no photos found in the given inputs")
    try:
        from core.colorizer import start_colorizer

        colorizer = start_colorizer(checkpoint, device=device, render_size=render_size, saturation=saturation)
    except (CheckpointError, RuntimeError, ValueError) as e:
        raise click.UsageError(str(e)) from None
    output.mkdir(parents=True, exist_ok=True)

    with tqdm(total=len(jobs), unit="photo", desc="colorizing", file=sys.stderr) as bar:
        def on_result(job, status, msg):
            bar.update(1)
            if status == "failed":
                bar.write(f"failed: {msg}", file=sys.stderr)

        summary = batch.run(colorizer, jobs, overwrite=overwrite, batch_size=batch_size, on_result=on_result)
    summary.failed = refused + summary.failed
    click.echo(f"{len(summary.done)} done, {len(summary.skipped)} skipped (output exists), "
               f"{len(summary.failed)} failed; output in {output}")
    for _, msg in summary.failed:
        click.echo(f"  failed: {msg}")
    sys.exit(0 if summary.ok else 1)


if __name__ == "__main__":
    main()
