import os

import pytest

from core.batch import Job, UnsafeOutput, check_destination, plan, remove_stale_parts


def test_plan_mirrors_the_tree_and_refuses_outputs_on_inputs(tmp_path):
    src = tmp_path / "in"
    (src / "a" / "b").mkdir(parents=True)
    for rel in ("x.jpg", "a/y.gif", "a/b/z.TIFF"):
        (src / rel).write_bytes(b"x")
    planned = plan([src], tmp_path / "out", "keep")
    jobs, refused = planned.jobs, planned.refused
    assert [(j.src.relative_to(src).as_posix(), j.dst.relative_to(tmp_path / "out").as_posix()) for j in jobs] == [
        ("x.jpg", "x.jpg"), ("a/y.gif", "a/y.png"), ("a/b/z.TIFF", "a/b/z.TIFF")]
    planned = plan([src], src, "keep")
    jobs, refused = planned.jobs, planned.refused
    assert [j.src.name for j in jobs] == ["y.gif"]  # its output y.png is not an input
    assert len(refused) == 2 and all("is an input file" in msg for _, msg in refused)


def test_two_inputs_whose_outputs_collide_are_caught(tmp_path):
    (tmp_path / "p.jpg").write_bytes(b"x")
    (tmp_path / "p.png").write_bytes(b"x")
    planned = plan([tmp_path / "p.jpg", tmp_path / "p.png"], tmp_path / "out", "png")
    jobs, refused = planned.jobs, planned.refused
    assert len(jobs) == 1 and "collide" in refused[0][1]


def test_never_writes_through_a_symlink_or_outside_the_output(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "sub")
    with pytest.raises(UnsafeOutput, match="outside the output folder"):
        check_destination(Job(tmp_path / "a.jpg", out / "sub" / "a.jpg", out))
    os.symlink(elsewhere / "victim.jpg", out / "b.jpg")
    with pytest.raises(UnsafeOutput, match="symlink"):
        check_destination(Job(tmp_path / "b.jpg", out / "b.jpg", out))
    check_destination(Job(tmp_path / "c.jpg", out / "deep" / "c.jpg", out))  # a real subfolder is fine


def test_stale_temporary_files_of_a_killed_run_are_removed(tmp_path):
    dst = tmp_path / "photo.jpg"
    stale = tmp_path / ".photo.jpg.abc123.part"
    stale.write_bytes(b"half")
    other = tmp_path / "keep.jpg"
    other.write_bytes(b"whole")
    remove_stale_parts(dst)
    assert not stale.exists() and other.exists()


@pytest.mark.parametrize("streams", [1, 2])
def test_run_overlaps_stages_but_reports_in_order_and_matches_single_colorize(tmp_path, tiny_checkpoint, monkeypatch,
                                                                              streams):
    import numpy as np
    from PIL import Image

    from core import batch, colorizer as colorizer_module
    from core.colorizer import Colorizer
    from tests.helpers import random_gray

    colorizer = Colorizer(tiny_checkpoint, device="cpu", render_size=64, streams=streams)

    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):
        random_gray(40 + i, 30, seed=i).save(src / f"p{i}.png")
    real_merge = colorizer_module.merge

    def merge(photo, ab):  # the writer thread meets an error on one photo
        if photo.path.name == "p2.png":
            raise MemoryError("simulated")
        return real_merge(photo, ab)

    monkeypatch.setattr(colorizer_module, "merge", merge)
    jobs = plan([src], tmp_path / "out").jobs
    seen = []
    summary = batch.run(colorizer, jobs, batch_size=2,
                        on_result=lambda job, status, msg: seen.append((job.src.name, status, msg)))
    assert [(name, status) for name, status, _ in seen] == [
        ("p0.png", "done"), ("p1.png", "done"), ("p2.png", "failed"), ("p3.png", "done"), ("p4.png", "done")]
    assert seen[2][2].endswith("p2.png: colorizing failed (simulated)")
    assert len(summary.done) == 4 and not list((tmp_path / "out").glob("*.part"))
    for i in (0, 1, 3, 4):
        written = np.asarray(Image.open(tmp_path / "out" / f"p{i}.png")).astype(int)
        single = np.asarray(colorizer.colorize_file(src / f"p{i}.png")).astype(int)
        assert np.abs(written - single).max() <= 1
