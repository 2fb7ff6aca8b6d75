import gc
import os
import subprocess
import sys

import pytest

from desktop.background_import import import_without_stalls

PRELOAD_THEN_TORCH = """
import sys
from desktop.background_import import preload_torch_libraries

assert preload_torch_libraries(), "libtorch was not preloaded"
assert "torch" not in sys.modules
with open("/proc/self/maps") as f:
    assert "libtorch_cpu.so" in f.read(), "libtorch_cpu.so is not mapped after the preload"
import torch
from core.colorizer import import_engine
import_engine()
assert "fastai.vision.models.unet" in sys.modules
print(torch.ones(3).sum().item())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the preload is done on Linux only")
def test_preloaded_libtorch_is_the_one_torch_then_uses():
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}  # with it, no preload (next test)
    r = subprocess.run([sys.executable, "-c", PRELOAD_THEN_TORCH], capture_output=True, text=True, timeout=300,
                       env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["3.0"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the preload is done on Linux only")
def test_no_preload_when_ld_library_path_could_pick_other_cuda_libraries():
    code = ("from desktop.background_import import preload_torch_libraries\n"
            "print(preload_torch_libraries(), 'libtorch_cpu.so' in open('/proc/self/maps').read())")
    env = dict(os.environ, LD_LIBRARY_PATH="/nonexistent/cuda/lib64")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False"]


def test_no_garbage_collection_while_importing_and_the_imported_objects_are_frozen():
    states = []
    frozen = gc.get_freeze_count()
    try:
        result = import_without_stalls(lambda: states.append(gc.isenabled()) or [object() for _ in range(1000)])
        assert states == [False]
        assert gc.isenabled()
        assert len(result) == 1000
        assert gc.get_freeze_count() >= frozen + 1000
    finally:
        gc.unfreeze()


def test_collection_is_back_on_after_a_failed_import():
    def fail():
        raise ImportError("no such module")

    try:
        with pytest.raises(ImportError):
            import_without_stalls(fail)
        assert gc.isenabled()
    finally:
        gc.unfreeze()
