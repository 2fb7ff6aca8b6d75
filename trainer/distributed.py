"""Multi-process training through torchrun (PyTorch DDP): NCCL on GPUs, gloo on CPUs.

Launched as `torchrun --nproc_per_node N -m trainer.cli pretrain ...`, each process trains on its shard of
every epoch (trainer.data.epoch_loader shards by rank), the generator is wrapped in DistributedDataParallel,
the discriminator's gradients are averaged by hand, and only rank 0 writes the run directory.
Without torchrun's environment, every function here is a no-op for a single process.
"""

from __future__ import annotations

import contextlib
import os


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def active() -> bool:
    return world_size() > 1


def device_for_rank(device: str) -> str:
    """Initialise the process group once (under torchrun) and pick this process's device."""
    if not active():
        return device
    import torch
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device.startswith("cuda"):
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return device


@contextlib.contextmanager
def main_first():
    """Let rank 0 do something first (building the data cache), the others wait and then reuse it."""
    import torch.distributed as dist

    if active() and not is_main():
        dist.barrier()
    yield
    if active() and is_main():
        dist.barrier()


def average_gradients(module) -> None:
    """Average a module's gradients over all processes (used for the discriminator)."""
    if not active():
        return
    import torch.distributed as dist

    for p in module.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= world_size()


def weights_in_sync(model) -> bool:
    """Whether every process holds the same parameters (a float64 checksum of each). BatchNorm's running
    statistics are left out: each process updates them from its own shard, and DDP sends rank 0's to the
    others at the start of every forward pass."""
    if not active():
        return True
    import torch
    import torch.distributed as dist

    sums = torch.stack([p.detach().double().sum().cpu() for p in model.parameters()])
    gathered = [torch.empty_like(sums) for _ in range(world_size())]
    dist.all_gather(gathered, sums)
    return all(torch.equal(g, gathered[0]) for g in gathered)


def description() -> str:
    return f" x {world_size()} processes (DDP)" if active() else ""


def wrap(model):
    """The generator in DistributedDataParallel under torchrun, else as it is."""
    if not active():
        return model
    from torch.nn.parallel import DistributedDataParallel

    dev = next(model.parameters()).device
    return DistributedDataParallel(model, device_ids=[dev] if dev.type == "cuda" else None)


def unwrap(model):
    """The plain model inside a DDP wrapper (or the model itself)."""
    return getattr(model, "module", model)
