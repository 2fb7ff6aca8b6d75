"""`colorize-folder IN... -o OUT`: colorize photos and folders into a mirrored output tree."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from core.decode import DEFAULT_MAX_MEGAPIXELS
from core.errors import ImageError


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
@click.option("--max-megapixels", default=DEFAULT_MAX_MEGAPIXELS, show_default=True, type=click.FloatRange(min=1),
              help="Refuse photos larger than this (memory: about 10 bytes a pixel while colorizing).")
@click.option("--warmth", default=0.0, show_default=True, type=click.FloatRange(-1.0, 1.0),
              help="Overall colour temperature: -1 cool, 0 as predicted, 1 warm.")
@click.option("--hints", "hints_file", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON file of colour hints: {\"PHOTO\": [{\"x\": 120, \"y\": 80, \"color\": \"#2a4d8f\"}]}, "
                   "PHOTO being its path relative to its input (a photo given directly: its file name).")
def main(inputs: tuple[Path, ...], output: Path, checkpoint: Path | None, render_size: int, device: str,
         fmt: str, saturation: float, batch_size: int, overwrite: bool, max_megapixels: float, warmth: float,
         hints_file: Path | None) -> None:
    """Colorize black-and-white photos: files and folders (recursive) into OUTPUT.

    Originals are never modified. Exit code: 0 all done, 1 some photos failed, 2 usage error, 130 interrupted
    (Ctrl-C stops after the photos in hand; a second Ctrl-C stops at once).
    """
    import warnings

    from tqdm import tqdm

    from core import batch
    from core.checkpoint import CheckpointError
    from core.errors import printable

    # Pillow reports what it forgives as UserWarnings with its own file paths; what matters of it reaches the
    # user as this tool's own one-line notes
    warnings.filterwarnings("ignore", module=r"PIL\.")
    if output.exists() and not output.is_dir():
        raise click.UsageError(f"output {output} exists and is not a folder")
    planned = batch.plan(inputs, output, fmt)
    if not planned.jobs and not planned.refused:
        raise click.UsageError("no photos found in the given inputs")
    hints = _load_hints(hints_file, planned.jobs) if hints_file else {}
    _check_output_folder(output)
    try:
        if planned.jobs:
            planned.output_map.save()  # from now on these folders go where they go now, whatever is added later
    except OSError as e:
        raise click.UsageError(f"cannot write in the output folder {output} ({e.strerror or e})") from None
    stop = _StopOnCtrlC()
    try:
        from core.colorizer import start_colorizer

        colorizer = start_colorizer(checkpoint, device=device, render_size=render_size, saturation=saturation,
                                    warmth=warmth)
    except (CheckpointError, RuntimeError, ValueError) as e:
        raise click.UsageError(printable(str(e))) from None

    with tqdm(total=len(planned.jobs), unit="photo", desc="colorizing", file=sys.stderr) as bar:
        def on_result(job, status, msg):
            bar.update(1)
            if status == "failed":
                bar.write(f"failed: {printable(msg)}", file=sys.stderr)

        def on_warning(job, msg):
            bar.write(f"warning: {printable(msg)}", file=sys.stderr)

        summary = batch.run(colorizer, planned.jobs, overwrite=overwrite, batch_size=batch_size, on_result=on_result,
                            on_warning=on_warning, should_stop=stop.requested, max_megapixels=max_megapixels,
                            hints=hints)
    summary.failed = planned.refused + summary.failed
    click.echo(f"{len(summary.done)} done, {len(summary.skipped)} skipped (output exists), "
               f"{len(summary.failed)} failed{'; interrupted' if stop.requested() else ''}; output in {output}")
    for _, msg in summary.failed:
        click.echo(f"  failed: {printable(msg)}")
    for _, msg in planned.notes:
        click.echo(f"  skipped: {printable(msg)}")
    for _, msg in summary.warnings:
        click.echo(f"  warning: {printable(msg)}")
    sys.stdout.flush()
    if stop.requested():
        os._exit(130)  # not sys.exit: torch's worker threads may still be winding down (SIGABRT at teardown)
    sys.exit(0 if summary.ok else 1)


def _load_hints(path: Path, jobs) -> dict:
    """{source photo: [Hint]} from a hints file, every entry checked against the photos and their sizes first:
    a bad file is a usage error naming the file and the entry, before any model loads."""
    from core.hints import HintsError, check_inside, load_hints_file
    from core.images import upright_size

    try:
        by_key = load_hints_file(path)
        jobs_by_key = {job.key: job for job in jobs}
        hints = {}
        for key, photo_hints in by_key.items():
            job = jobs_by_key.get(key)
            if job is None:
                raise HintsError(f"{path}: entry {key!r}: no such photo among the inputs (a photo is named by its "
                                 f"path relative to its input folder, or by its file name when given directly)")
            try:
                size = upright_size(job.src)
            except ImageError as e:
                raise HintsError(f"{path}: entry {key!r}: {e}") from None
            check_inside(photo_hints, size, f"{path}: entry {key!r}")
            hints[job.src] = photo_hints
    except HintsError as e:
        raise click.UsageError(str(e)) from None
    return hints


def _check_output_folder(output: Path) -> None:
    """Create the output folder and make sure a file can be written in it, before any model loads: a folder
    problem is a usage error (exit 2), not one failure per photo."""
    import tempfile

    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise click.UsageError(f"cannot create the output folder {output} ({e.strerror or e})") from None
    try:
        with tempfile.TemporaryFile(dir=output, prefix=".colorize-folder-probe."):
            pass
    except OSError as e:
        raise click.UsageError(f"cannot write in the output folder {output} ({e.strerror or e})") from None


class _StopOnCtrlC:
    """The first Ctrl-C asks the batch to stop after the photos in hand; the second quits at once, removing
    this process's half-written temporary files first."""

    def __init__(self) -> None:
        import threading

        self._count = 0
        if threading.current_thread() is threading.main_thread():  # only there can Python take signals
            signal.signal(signal.SIGINT, self._handle)

    def requested(self) -> bool:
        return self._count > 0

    def _handle(self, signum, frame) -> None:
        from core.files import remove_own_parts

        self._count += 1
        if self._count == 1:
            sys.stderr.write("\nstopping after the photos in hand (Ctrl-C again to stop at once)\n")
            return
        remove_own_parts()
        sys.stderr.write("stopped\n")
        os._exit(130)


if __name__ == "__main__":
    main()
