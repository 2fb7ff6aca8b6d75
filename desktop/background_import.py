"""Import torch and fastai from a worker thread without freezing the window.

An import in a worker thread still stops the window's thread whenever it holds Python's GIL without a break.
Measured on the 2-core development machine (a 5 ms timer in the window's thread, `benchmarks/desktop.py`), two
things in torch's import do that:
- the dlopen of libtorch and the CUDA libraries behind it, about 0.3 s. CPython's import and ctypes.CDLL keep
  the GIL through dlopen, but a call to libc's dlopen through ctypes lets it go;
- full garbage collections, up to 0.2 s each, over the hundreds of thousands of objects that torch, fastai,
  scipy and sympy create while they are imported.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def import_without_stalls(do_imports: Callable[[], T]) -> T:
    """Run do_imports (in a worker thread) with torch's libraries preloaded and no garbage collection meanwhile.

    What the imports create lives as long as the program, so it is then frozen out of later collections too
    (gc.freeze): otherwise the next full collection, during a batch, would walk it all again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        preload_torch_libraries()
        return do_imports()
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def preload_torch_libraries() -> bool:
    """dlopen libtorch without holding the GIL, so that `import torch` finds it loaded; True if it did.

    The flags are those torch's own import uses: its global dependencies RTLD_GLOBAL, libtorch RTLD_LOCAL.
    Anything unexpected (another platform, a torch laid out differently) leaves the work to `import torch`.
    So does LD_LIBRARY_PATH: with it set, torch's import first loads the CUDA libraries of its own wheels, so
    that a system CUDA on that path does not win libtorch's lookups; loading libtorch first would undo that.
    """
    if not sys.platform.startswith("linux") or os.environ.get("LD_LIBRARY_PATH") or "torch" in sys.modules:
        return False
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return False
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib"
    order = (("libtorch_global_deps.so", os.RTLD_NOW | os.RTLD_GLOBAL), ("libtorch.so", os.RTLD_NOW | os.RTLD_LOCAL))
    if not all((lib / name).is_file() for name, _ in order):
        return False
    try:
        libc = ctypes.CDLL(None)  # the program's own symbols, libc's dlopen among them
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return False
    dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
    # A foreign call through ctypes.CDLL releases the GIL for its duration; the handles are kept open for good.
    return all(dlopen(os.fsencode(lib / name), mode) for name, mode in order)
