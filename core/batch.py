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

from core.decode import DEFAULT_MAX_MEGAPIXELS, not_regular, sniff
from core.errors import one_line
from core.files import part_owner, part_prefix, process_alive, resolved_path
from core.output_map import OutputMap
from core.images import IMAGE_SUFFIXES, ImageError, Photo, load_photo, output_suffix, save_atomic


@dataclass(frozen=True)
class Job:
    src: Path
    dst: Path
    root: Path  # the output folder: dst must stay inside it
    key: str = ""  # the photo as a hints file names it: its path relative to its input, or a file's own name


class UnsafeOutput(Exception):
    """An output path that would be written outside the output folder or through a symlink."""


def check_destination(job: Job) -> None:
    """Refuse to write through a symlink or anywhere outside the output folder (e.g. via a symlinked subfolder)."""
    if job.dst.is_symlink():
        raise UnsafeOutput(f"{job.dst}: is a symlink; the tool never writes through one")
    root = resolved_path(job.root)
    parent = resolved_path(job.dst.parent)
    if parent != root and root not in parent.parents:
        raise UnsafeOutput(f"{job.dst}: resolves outside the output folder {job.root} (a symlinked folder?)")


def remove_stale_parts(dst: Path) -> None:
    """Delete temporary files a killed earlier run left for this output (never complete photos). A part file
    of a process still running (a second colorize-folder into the same folder) is its work in progress: kept."""
    try:
        for part in dst.parent.glob(f"{glob_escape(part_prefix(dst))}*.part"):
            owner = part_owner(part, dst)
            if owner is not None and owner != os.getpid() and process_alive(owner):
                continue
            if part.is_file() and not part.is_symlink():
                part.unlink()
    except OSError:
        pass


@dataclass
class Summary:
    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (file, one-line cause)
    warnings: list[tuple[Path, str]] = field(default_factory=list)  # (file, one line): done, but with a caveat

    @property
    def ok(self) -> bool:
        return not self.failed


# What cameras, phones and operating systems leave in photo folders: never photos, never mentioned.
JUNK_FOLDERS = {"__MACOSX", "$RECYCLE.BIN", "System Volume Information"}
JUNK_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db"}


def _walk(folder: Path, exclude: Path | None, notes: list[tuple[Path, str]] | None = None) -> Iterator[Path]:
    """Photos under folder, sorted: files with an image suffix, and files without a suffix whose first bytes
    say they are an image (old camera and phone transfers: IMG_0001). Skipped: hidden entries, OS junk,
    symlinked folders, the output folder, and anything that is not a regular file (a named pipe would block a
    reader forever), which goes into notes instead, never opened."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in JUNK_FOLDERS and
                             resolved_path(here / d) != exclude)
        for f in sorted(filenames):
            if f.startswith(".") or f.lower() in JUNK_FILES:
                continue
            path, suffix = here / f, Path(f).suffix.lower()
            if suffix not in IMAGE_SUFFIXES and suffix:
                continue
            try:
                st = os.stat(path)
            except OSError:
                yield path  # a broken or looping symlink: reading it reports why
                continue
            kind = not_regular(st)
            if kind:
                if notes is not None:
                    notes.append((path, f"{path}: not a regular file ({kind}); skipped, not opened"))
            elif suffix or _announces_image(path):
                yield path


def _announces_image(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return sniff(f.read(32)) is not None
    except OSError:
        return False


def find_photos(folder: str | os.PathLike) -> list[Path]:
    """The photos under folder, as a batch would take them (see _walk); a file given instead of a folder is
    the one photo."""
    folder = Path(folder)
    return [folder] if folder.is_file() else list(_walk(folder, exclude=None))


@dataclass
class Plan:
    """What a batch will do: jobs, the inputs refused (failed, with the reason), the entries skipped with a
    note (files that are not regular files), and where each input folder goes (save it before writing)."""

    jobs: list[Job]
    refused: list[tuple[Path, str]]
    notes: list[tuple[Path, str]]
    output_map: OutputMap


def plan(inputs: Sequence[Path], out_dir: Path, fmt: str = "keep") -> Plan:
    """Map input files and folders to output paths under out_dir, mirroring each folder's tree.

    Each folder goes where out_dir's map says (core.output_map: the first folder ever colorized into out_dir
    straight in, others in a subfolder named after them); photos given one by one land at the top.
    """
    out_dir = Path(out_dir)
    out_real = resolved_path(out_dir)
    output_map = OutputMap.load(out_dir)
    pairs: list[tuple[Path, Path, str]] = []  # (src, path relative to out_dir before the suffix change, key)
    notes: list[tuple[Path, str]] = []
    for inp in map(Path, inputs):
        if inp.is_dir():
            prefix = Path(output_map.subfolder(inp))
            pairs += [(f, prefix / f.relative_to(inp), f.relative_to(inp).as_posix())
                      for f in _walk(inp, out_real, notes)]
        else:
            pairs.append((inp, Path(inp.name), inp.name))
    sources = {resolved_path(src) for src, _, _ in pairs}
    jobs, refused, seen_src, seen_dst = [], [], set(), {}
    for src, rel, key in pairs:
        real = resolved_path(src)
        if real in seen_src:
            continue  # the same file listed twice
        seen_src.add(real)
        dst = out_dir / rel.with_suffix(output_suffix(src, fmt))
        dst_real = resolved_path(dst)
        if dst_real in sources:
            refused.append((src, f"{src}: its output path {dst} is an input file; choose another output folder"))
        elif dst_real in seen_dst:
            refused.append((src, f"{src}: its output {dst} would collide with that of {seen_dst[dst_real]}"))
        else:
            seen_dst[dst_real] = src
            jobs.append(Job(src, dst, out_dir, key))
    return Plan(jobs, refused, notes, output_map)


def _prefetch(jobs: Sequence[Job], pool: ThreadPoolExecutor, ahead: int,
              max_megapixels: float) -> Iterator[tuple[Job, Future]]:
    """Yield (job, future of its Photo), keeping up to `ahead` loads running in the background."""
    futures: list[tuple[Job, Future]] = []
    it = iter(jobs)
    for job in it:
        futures.append((job, pool.submit(load_photo, job.src, max_megapixels)))
        if len(futures) > ahead:
            yield futures.pop(0)
    yield from futures


def run(colorizer, jobs: Sequence[Job], overwrite: bool = False, batch_size: int = 1,
        on_result: Callable[[Job, str, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_warning: Callable[[Job, str], None] | None = None,
        max_megapixels: float = DEFAULT_MAX_MEGAPIXELS, hints: dict[Path, list] | None = None,
        redo: set[Path] | None = None) -> Summary:
    """Colorize jobs; on_result(job, 'done'|'skipped'|'failed', message) is called once per job, in job order,
    and on_warning(job, message) for a photo done with a caveat (damage forgiven, metadata left out).
    hints: colour hints (core.hints.Hint) per source photo; photos without are colorized as usual.
    redo: source photos colorized again even when their output exists (their hints changed since).

    colorizer needs predict_ab(list of L arrays) -> list of ab (a Colorizer, or the desktop's Engine), and may
    say by a `streams` attribute how many predict_ab calls it runs at once. Three stages overlap: loader
    threads decode the next photos, `streams` model threads predict their colour, and a writer thread merges
    the colour into the full-size L and encodes the file. should_stop is polled between photos: a stopped
    batch keeps what it has finished and writes nothing partial.
    """
    summary = Summary()
    report = on_result or (lambda job, status, msg: None)
    streams = max(1, int(getattr(colorizer, "streams", 1)))

    def fail(job: Job, msg: str) -> None:
        summary.failed.append((job.src, msg))
        report(job, "failed", msg)

    def warn(job: Job, note: str) -> None:
        summary.warnings.append((job.src, f"{job.src}: {note}"))
        if on_warning:
            on_warning(job, f"{job.src}: {note}")

    todo = []
    for job in jobs:
        try:
            exists = job.dst.exists()
        except OSError as e:  # a path longer than the system allows, an output subfolder that can't be read
            fail(job, f"{job.src}: cannot use its output path {job.dst} ({e.strerror or one_line(e)})")
            continue
        if exists and not overwrite and job.src not in (redo or ()):
            summary.skipped.append(job.src)
            report(job, "skipped", f"{job.dst} exists")
        else:
            todo.append(job)

    # each batch sent to the model, with the future of its photos' write futures, in job order
    in_flight: deque[tuple[list[Job], Future]] = deque()

    def finished(fut: Future) -> bool:
        return fut.done() and all(w.done() for w in fut.result())

    def collect(keep: int) -> None:
        """Report finished batches in order, waiting while more than `keep` are in flight (bounds memory)."""
        while in_flight and (len(in_flight) > keep or finished(in_flight[0][1])):
            batch_jobs, fut = in_flight.popleft()
            for job, write in zip(batch_jobs, fut.result()):
                err, note = write.result()
                if note:
                    warn(job, note)
                if err:
                    fail(job, err)
                else:
                    summary.done.append(job.src)
                    report(job, "done", str(job.dst))

    batch: list[tuple[Job, Photo]] = []

    def flush() -> None:
        photo_hints = [(hints or {}).get(job.src, []) for job, _ in batch]
        in_flight.append(([job for job, _ in batch],
                          model_pool.submit(_colorize, colorizer, list(batch), writer, photo_hints)))
        batch.clear()
        collect(keep=streams)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="load") as pool, \
            ThreadPoolExecutor(max_workers=streams, thread_name_prefix="model") as model_pool, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as writer:
        for job, fut in _prefetch(todo, pool, ahead=max(2, batch_size * streams), max_megapixels=max_megapixels):
            collect(keep=streams)
            if should_stop and should_stop():
                fut.cancel()
                continue
            try:
                photo = fut.result()
                for note in photo.notes:
                    warn(job, note)
                batch.append((job, photo))
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


def _colorize(colorizer, batch: list[tuple[Job, Photo]], writer: ThreadPoolExecutor, hints: list) -> list[Future]:
    """The model stage: predict a batch's colour and hand each photo to the writer; a future per photo."""
    try:
        lightness = [photo.lightness for _, photo in batch]
        abs_ = colorizer.predict_ab(lightness, hints)
    except Exception as e:  # a model failure must not lose the rest of the batch
        return [_resolved_future((f"{job.src}: colorizing failed ({one_line(e)})", None)) for job, _ in batch]
    return [writer.submit(_write, job, photo, ab) for (job, photo), ab in zip(batch, abs_)]


def _resolved_future(value) -> Future:
    fut: Future = Future()
    fut.set_result(value)
    return fut


def _write(job: Job, photo: Photo, ab) -> tuple[str | None, str | None]:
    """Merge the predicted colour into the photo and write it atomically: (error, note), error None when done."""
    from core.colorizer import merge  # here, not at the top: the app imports core.batch before any engine

    try:
        im = merge(photo, ab)
        job.dst.parent.mkdir(parents=True, exist_ok=True)
        check_destination(job)
        remove_stale_parts(job.dst)
        return None, save_atomic(im, job.dst, exif=photo.exif, icc_profile=photo.icc_profile)
    except (ImageError, UnsafeOutput) as e:
        return str(e), None
    except OSError as e:
        return f"{job.dst}: cannot write ({e.strerror or one_line(e)})", None
    except Exception as e:  # e.g. out of memory merging a huge scan: one failed photo, not a lost batch
        return f"{job.src}: colorizing failed ({one_line(e)})", None
