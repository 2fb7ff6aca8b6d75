"""Colorizing many files into an output tree without ever losing anything.

Shared by `colorize-folder` and the desktop app. The rules: an input is never written to; each output is
written atomically; an existing output is skipped unless overwrite is asked for (so a rerun resumes an
interrupted batch); a bad file is recorded as failed and the batch goes on.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from glob import escape as glob_escape
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from core.errors import one_line
from core.files import part_prefix
from core.images import (IMAGE_SUFFIXES, ImageError, Photo, load_photo, output_suffix,
                         save_atomic)


@dataclass(frozen=True)
class Job:
    src: Path
    dst: Path
    root: Path  # the output folder: dst must stay inside it


class UnsafeOutput(Exception):
    """An output path that would be written outside the output folder or through a symlink."""


def check_destination(job: Job) -> None:
    """Refuse to write through a symlink or anywhere outside the output folder (e.g. via a symlinked subfolder)."""
    if job.dst.is_symlink():
        raise UnsafeOutput(f"{job.dst}: is a symlink; the tool never writes through one")
    root = _resolved(job.root)
    parent = _resolved(job.dst.parent)
    if parent != root and root not in parent.parents:
        raise UnsafeOutput(f"{job.dst}: resolves outside the output folder {job.root} (a symlinked folder?)")


def remove_stale_parts(dst: Path) -> None:
    """Delete temporary files a killed earlier run left for this output (never complete photos)."""
    try:
        for part in dst.parent.glob(f"{glob_escape(part_prefix(dst))}*.part"):
            if part.is_file() and not part.is_symlink():
                part.unlink()
    except OSError:
        pass


@dataclass
class Summary:
    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (file, one-line cause)

    @property
    def ok(self) -> bool:
        return not self.failed


def _walk(folder: Path, exclude: Path) -> Iterator[Path]:
    """Image files under folder, sorted; hidden entries, symlinked folders and the output folder skipped."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and
                             _resolved(here / d) != exclude)
        for f in sorted(filenames):
            if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES:
                yield here / f


def find_photos(folder: str | os.PathLike) -> list[Path]:
    """The image files under folder, as a batch would take them (sorted, hidden entries skipped); a file
    given instead of a folder is the one photo."""
    folder = Path(folder)
    return [folder] if folder.is_file() else list(_walk(folder, exclude=None))


def _resolved(p: Path) -> Path:
    try:
        return p.resolve()
    except (OSError, RuntimeError):  # e.g. a symlink loop
        return p.absolute()


def plan(inputs: Sequence[Path], out_dir: Path, fmt: str = "keep") -> tuple[list[Job], list[tuple[Path, str]]]:
    """Map input files and folders to output paths under out_dir, mirroring the input tree.

    One folder given: its contents map straight into out_dir. Several inputs: each folder keeps its own name
    as a subfolder, each file lands at the top. Returns the jobs and the inputs refused with a reason.
    """
    out_dir = Path(out_dir)
    out_real = _resolved(out_dir)
    single_folder = len(inputs) == 1 and Path(inputs[0]).is_dir()
    pairs: list[tuple[Path, Path]] = []  # (src, path relative to out_dir before the suffix change)
    for inp in map(Path, inputs):
        if inp.is_dir():
            prefix = Path() if single_folder else Path(inp.resolve().name)
            pairs += [(f, prefix / f.relative_to(inp)) for f in _walk(inp, out_real)]
        else:
            pairs.append((inp, Path(inp.name)))
    sources = {_resolved(src) for src, _ in pairs}
    jobs, refused, seen_src, seen_dst = [], [], set(), {}
    for src, rel in pairs:
        real = _resolved(src)
        if real in seen_src:
            continue  # the same file listed twice
        seen_src.add(real)
        dst = out_dir / rel.with_suffix(output_suffix(src, fmt))
        dst_real = _resolved(dst)
        if dst_real in sources:
            refused.append((src, f"{src}: its output path {dst} is an input file; choose another output folder"))
        elif dst_real in seen_dst:
            refused.append((src, f"{src}: its output {dst} would collide with that of {seen_dst[dst_real]}"))
        else:
            seen_dst[dst_real] = src
            jobs.append(Job(src, dst, out_dir))
    return jobs, refused


def _prefetch(jobs: Sequence[Job], pool: ThreadPoolExecutor, ahead: int) -> Iterator[tuple[Job, Future]]:
    """Yield (job, future of its Photo), keeping up to `ahead` loads running in the background."""
    futures: list[tuple[Job, Future]] = []
    it = iter(jobs)
    for job in it:
        futures.append((job, pool.submit(load_photo, job.src)))
        if len(futures) > ahead:
            yield futures.pop(0)
    yield from futures


def run(colorizer, jobs: Sequence[Job], overwrite: bool = False, batch_size: int = 1,
        on_result: Callable[[Job, str, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None) -> Summary:
    """Colorize jobs; on_result(job, 'done'|'skipped'|'failed', message) is called once per job, in job order.

    colorizer needs predict_ab(list of L arrays) -> list of ab (a Colorizer, or the desktop's Engine), and may
    say by a `streams` attribute how many predict_ab calls it runs at once. Three stages overlap: loader
    threads decode the next photos, `streams` model threads predict their colour, and a writer thread merges
    the colour into the full-size L and encodes the file. should_stop is polled between photos: a stopped
    batch keeps what it has finished and writes nothing partial.
    """
    summary = Summary()
    report = on_result or (lambda job, status, msg: None)
    streams = max(1, int(getattr(colorizer, "streams", 1)))
    todo = []
    for job in jobs:
        if job.dst.exists() and not overwrite:
            summary.skipped.append(job.src)
            report(job, "skipped", f"{job.dst} exists")
        else:
            todo.append(job)

    def fail(job: Job, msg: str) -> None:
        summary.failed.append((job.src, msg))
        report(job, "failed", msg)

    # each batch sent to the model, with the future of its photos' write futures, in job order
    in_flight: deque[tuple[list[Job], Future]] = deque()

    def finished(fut: Future) -> bool:
        return fut.done() and all(w.done() for w in fut.result())

    def collect(keep: int) -> None:
        """Report finished batches in order, waiting while more than `keep` are in flight (bounds memory)."""
        while in_flight and (len(in_flight) > keep or finished(in_flight[0][1])):
            batch_jobs, fut = in_flight.popleft()
            for job, write in zip(batch_jobs, fut.result()):
                err = write.result()
                if err:
                    fail(job, err)
                else:
                    summary.done.append(job.src)
                    report(job, "done", str(job.dst))

    batch: list[tuple[Job, Photo]] = []

    def flush() -> None:
        in_flight.append(([job for job, _ in batch], model_pool.submit(_colorize, colorizer, list(batch), writer)))
        batch.clear()
        collect(keep=streams)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="load") as pool, \
            ThreadPoolExecutor(max_workers=streams, thread_name_prefix="model") as model_pool, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as writer:
        for job, fut in _prefetch(todo, pool, ahead=max(2, batch_size * streams)):
            collect(keep=streams)
            if should_stop and should_stop():
                fut.cancel()
                continue
            try:
                batch.append((job, fut.result()))
            except ImageError as e:
                fail(job, str(e))
                continue
            except Exception as e:  # anything unexpected from a decoder is still one bad file, not a crash
                fail(job, f"{job.src}: cannot read ({one_line(e)})")
                continue
            if len(batch) >= batch_size:
                flush()
        if batch and not (should_stop and should_stop()):
            flush()
        collect(keep=0)
    return summary


def _colorize(colorizer, batch: list[tuple[Job, Photo]], writer: ThreadPoolExecutor) -> list[Future]:
    """The model stage: predict a batch's colour and hand each photo to the writer; a future per photo."""
    try:
        abs_ = colorizer.predict_ab([photo.lightness for _, photo in batch])
    except Exception as e:  # a model failure must not lose the rest of the batch
        return [_resolved_future(f"{job.src}: colorizing failed ({one_line(e)})") for job, _ in batch]
    return [writer.submit(_write, job, photo, ab) for (job, photo), ab in zip(batch, abs_)]


def _resolved_future(value) -> Future:
    fut: Future = Future()
    fut.set_result(value)
    return fut


def _write(job: Job, photo: Photo, ab) -> str | None:
    """Merge the predicted colour into the photo and write it atomically; an error message, or None when done."""
    from core.colorizer import merge  # here, not at the top: the app imports core.batch before any engine

    try:
        im = merge(photo, ab)
        job.dst.parent.mkdir(parents=True, exist_ok=True)
        check_destination(job)
        remove_stale_parts(job.dst)
        save_atomic(im, job.dst, exif=photo.exif, icc_profile=photo.icc_profile)
    except (ImageError, UnsafeOutput) as e:
        return str(e)
    except OSError as e:
        return f"{job.dst}: cannot write ({e.strerror or one_line(e)})"
    except Exception as e:  # e.g. out of memory merging a huge scan: one failed photo, not a lost batch
        return f"{job.src}: colorizing failed ({one_line(e)})"
    return None
