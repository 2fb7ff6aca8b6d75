import numpy as np

from core import lab
from core.batch import find_photos
from trainer.data import LabCrops, open_or_build_store, split_indices
from tests.helpers import random_rgb


def _folder(tmp_path, n=5):
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    for i in range(n):
        random_rgb(40 + i, 30, seed=i).save(d / ("sub" if i % 2 else "") / f"p{i}.png")
    return d


def test_store_round_trips_lab_exactly(tmp_path):
    data = _folder(tmp_path)
    (data / "bad.jpg").write_bytes(b"garbage")
    logs = []
    store = open_or_build_store(data, tmp_path / "cache", max_side=320, log=logs.append)
    assert len(store) == 5
    assert any("bad.jpg" in m for m in logs)
    for i, name in enumerate(store.names):
        from PIL import Image

        want = lab.rgb_to_lab(np.asarray(Image.open(name).convert("RGB")))
        l_img, ab_img = store.get(i)
        assert np.array_equal(l_img, want[..., 0]) and np.array_equal(ab_img, want[..., 1:])


def test_store_is_reused_until_the_folder_changes(tmp_path):
    data = _folder(tmp_path)
    logs = []
    open_or_build_store(data, tmp_path / "cache", log=logs.append)
    open_or_build_store(data, tmp_path / "cache", log=logs.append)
    assert sum("building" in m for m in logs) == 1
    random_rgb(20, 20).save(data / "new.png")
    assert len(open_or_build_store(data, tmp_path / "cache", log=logs.append)) == 6


def test_crops_are_normalised_and_sized(tmp_path):
    store = open_or_build_store(_folder(tmp_path), tmp_path / "cache", log=lambda m: None)
    for train in (True, False):
        l, ab = LabCrops(store, [0, 1], size=32, train=train)[1]
        assert l.shape == (1, 32, 32) and ab.shape == (2, 32, 32)
        assert -1 <= l.min() and l.max() <= 1 and ab.abs().max() <= 1


def test_split_is_fixed_and_disjoint():
    a = split_indices(100, 0.1, seed=3)
    assert a == split_indices(100, 0.1, seed=3)
    assert len(a[1]) == 10 and not set(a[0]) & set(a[1])


def test_find_images_recurses_and_skips_hidden(tmp_path):
    d = _folder(tmp_path)
    (d / ".hidden.png").write_bytes(b"")
    (d / "readme.txt").write_text("x")
    assert len(find_photos(d)) == 5


def test_crops_are_a_function_of_seed_epoch_and_item(tmp_path):
    import torch

    store = open_or_build_store(_folder(tmp_path), tmp_path / "cache", log=lambda m: None)
    a, b = LabCrops(store, [0, 1, 2], 16, train=True, seed=5), LabCrops(store, [0, 1, 2], 16, train=True, seed=5)
    b.epoch = 1
    assert not torch.equal(a[1][0], b[1][0])  # another epoch, another crop
    b.epoch = 0
    assert all(torch.equal(a[i][k], b[i][k]) for i in (2, 1, 0) for k in (0, 1))  # any order, same crops
    assert not torch.equal(a[1][0], LabCrops(store, [0, 1, 2], 16, train=True, seed=6)[1][0])


def test_epoch_order_is_fixed_by_seed_and_epoch_and_sharded_evenly():
    from trainer.data import epoch_order

    assert epoch_order(10, 3, 0, True) == epoch_order(10, 3, 0, True) != epoch_order(10, 4, 0, True)
    assert sorted(epoch_order(10, 3, 0, True)) == list(range(10))
    shards = [epoch_order(9, 0, 0, True, rank=r, world=2) for r in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == 5 and set(shards[0]) | set(shards[1]) == set(range(9))
    assert epoch_order(4, 7, 0, False) == [0, 1, 2, 3]
