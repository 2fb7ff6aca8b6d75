"""The training loop: RunConfig -> Trainer (set-up, or resume from state.pt) -> epochs -> one step per batch.

The step is the algorithm: trainer.supervised.Supervised (stage 1) or trainer.gan.Pix2Pix (stage 2). The loop
around it sets the learning rate, averages weights (EMA), validates, and keeps the run directory (run_dir).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from trainer import distributed
from trainer.config import MIN_FINETUNE_PHOTOS, RunConfig


class TooFewPhotos(ValueError):
    """Not enough usable colour photos for a personal model; the message says how many there are."""


def _skipped_counts(skipped: list) -> dict[str, int]:
    """How many files were left out, by reason: black and white, sepia or tinted, unreadable."""
    counts = {"black and white": 0, "sepia or tinted": 0, "unreadable": 0}
    for _, msg in skipped:
        reason = msg.rsplit("(", 1)[-1].rstrip(")") if "not a colour photo" in msg else "unreadable"
        counts[reason] = counts.get(reason, 0) + 1
    return {reason: n for reason, n in counts.items() if n}


def _skipped_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in counts.items()) or "none skipped"

_NOT_WITHIN_PSNR = 1e6  # larger than any delta_cf (colourfulness is < 200)


def best_rule(cfg: RunConfig, init_psnr: float | None):
    """Score to minimise for best.safetensors, as a function of a metrics.csv row.

    pretrain and finetune: the validation loss (the objective itself; for finetune, on the held-out photos).
    gan: L1 always prefers grayish colour, so instead
    the colourfulness gap to the truth (delta_cf), among epochs whose PSNR stays within 0.5 dB of the
    starting model's (the vivid-model targets). Until an epoch does, the one that lost the least PSNR is
    best, so a run always leaves a best.safetensors (a real 2-epoch CPU run lost 2 dB in both epochs).
    """
    if cfg.stage != "gan":
        return lambda row: float(row["valid_loss"])

    def gan_score(row):
        psnr_loss = init_psnr - float(row["psnr"]) if init_psnr is not None else 0.0
        if psnr_loss > 0.5:
            return _NOT_WITHIN_PSNR + psnr_loss  # ranks after every epoch within 0.5 dB, whatever its delta_cf
        return float(row["delta_cf"])

    return gan_score


def schedule(cfg: RunConfig):
    """pos in [0, 1] -> (learning rate, Adam beta1). pretrain: one-cycle (lr warms up over the first quarter
    while beta1 dips from 0.95 to 0.85, then both anneal back: fastai's fit_one_cycle); gan: flat lr, then
    cosine decay over the second half, beta1 fixed (pix2pix's linear decay, smoothed)."""
    from fastai.callback.schedule import combined_cos

    if cfg.stage == "finetune":  # its length is a time budget, not known in steps: a constant, low rate
        return lambda pos: (cfg.lr, cfg.adam[0])
    if cfg.stage == "pretrain":
        lr, mom = combined_cos(0.25, cfg.lr / 25, cfg.lr, cfg.lr / 1e5), combined_cos(0.25, 0.95, 0.85, 0.95)
        return lambda pos: (float(lr(pos)), float(mom(pos)))
    lr = combined_cos(0.5, cfg.lr, cfg.lr, cfg.lr / 1e5)
    return lambda pos: (float(lr(pos)), cfg.adam[0])


def hardware_description(device: str) -> str:
    if device.startswith("cuda"):
        return f"GPU {torch.cuda.get_device_name(0)}"
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def initial_generator(cfg: RunConfig, log=print):
    """(model, config) to start from: a fresh build, the --init checkpoint, or the checkpoint's body and decoder
    under a new head (weights of the same name and shape carried over; the head starts fresh)."""
    from core.checkpoint import load_checkpoint
    from core.models import GeneratorConfig, build_model

    if not cfg.init:
        config = GeneratorConfig(arch=cfg.arch, head=cfg.head or "regression", pretrained=cfg.pretrained)
        return build_model(config), config
    ckpt = load_checkpoint(cfg.init)
    if cfg.stage == "gan" and ckpt.config.head != "regression":
        raise ValueError(f"{cfg.init}: the gan stage needs a regression-head generator (this one classifies)")
    if cfg.head in (None, ckpt.config.head):
        return ckpt.model.train(), ckpt.config
    config = dataclasses.replace(ckpt.config, head=cfg.head, pretrained=False)
    model = build_model(config)
    own, carried = model.state_dict(), {}
    for key, value in ckpt.model.state_dict().items():
        # the classification head wraps the U-Net as "unet."; the regression head is the U-Net itself
        for name in (key, f"unet.{key}", key.removeprefix("unet.")):
            if name in own and own[name].shape == value.shape:
                carried[name] = value
                break
    model.load_state_dict(carried, strict=False)
    log(f"{cfg.init}: {len(carried)} of {len(own)} tensors carried over to the {cfg.head} head")
    return model, config


def class_log_weights(model, data: str | Path, cache: str | None = None, max_side: int = 320) -> tuple[float, ...]:
    """A classification model's rebalancing log weight per class, from the colour frequencies of the photos in
    data (core.models.colour_bins)."""
    from trainer.data import open_or_build_store

    store = open_or_build_store(data, cache, max_side)
    return _store_log_weights(model, store, list(range(len(store))))


def _store_log_weights(model, store, indices: list[int]) -> tuple[float, ...]:
    from trainer.data import ab_sample

    freq = model.bins.frequencies(ab_sample(store, indices))
    return tuple(round(float(w), 5) for w in model.bins.rebalancing_log_weights(freq))


def param_groups(model, body, weight_decay: float) -> list[dict]:
    """The encoder and the rest, each split into weights that decay and those that don't (norms and biases,
    as fastai does): 'part' names the learning-rate group, so the body can train slower or be frozen."""
    body_ids = {id(p) for p in body.parameters()}
    groups = {(part, decay): [] for part in ("body", "rest") for decay in (True, False)}
    for module in model.modules():
        is_norm = isinstance(module, (torch.nn.modules.batchnorm._NormBase, torch.nn.GroupNorm, torch.nn.LayerNorm))
        for name, p in module.named_parameters(recurse=False):
            decay = not is_norm and name != "bias"
            groups[("body" if id(p) in body_ids else "rest", decay)].append(p)
    return [{"params": ps, "part": part, "weight_decay": weight_decay if decay else 0.0}
            for (part, decay), ps in groups.items() if ps]


class Trainer:
    """One run: data, generator (and discriminator), optimisers, state and run directory."""

    def __init__(self, cfg: RunConfig, log=print):
        from core.colorizer import pick_device
        from trainer.run_dir import RunDirectory

        self.cfg, self.log = cfg, log
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.device = distributed.device_for_rank(pick_device(cfg.device))
        self.rank, self.world = distributed.rank(), distributed.world_size()
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)
        self.dir = RunDirectory(Path(cfg.out)) if distributed.is_main() else None
        model = self._build_generator()
        self._load_data(model)
        self.state, self.step = self._build_training(model)
        self.schedule = schedule(cfg)
        self.best_rule = None  # set once the starting model's metrics are known (gan)
        self._start_prediction = None  # finetune's holdout.png: the starting model's colours, made once
        self.card = {
            **({"summary": cfg.summary} if cfg.summary else {}),
            "stage": _stage_label(cfg, self.gen_config),
            "command": " ".join(cfg.argv) or " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
            "data": cfg.data, "train_photos": len(self.train_ds), "init": cfg.init,
            "hardware": hardware_description(self.device) + distributed.description(),
        }

    def _build_generator(self):
        model, self.gen_config = initial_generator(self.cfg, self.log)
        if self.cfg.channels_last:
            model = model.to(memory_format=torch.channels_last)  # 1-channel inputs are NHWC already
        return model.to(self.device)

    def _load_data(self, model) -> None:
        """The Lab stores, the train/validation split, the datasets (fed as the generator's config says) and
        the fixed photos of each epoch's sample grid."""
        from trainer.data import LabCrops, n_batches, open_or_build_store, split_indices

        cfg = self.cfg
        with distributed.main_first():
            store = open_or_build_store(cfg.data, cfg.cache, cfg.max_side, log=self.log, colour_only=cfg.colour_only)
            if cfg.val:
                val_store = open_or_build_store(cfg.val, None, cfg.max_side, log=self.log)
                train_idx, val_idx = list(range(len(store))), list(range(len(val_store)))
            else:
                val_store = store
                train_idx, val_idx = split_indices(len(store), cfg.val_fraction, seed=cfg.split_seed)
        self.skipped_counts = _skipped_counts(store.skipped)
        if cfg.stage == "finetune" and len(store) < MIN_FINETUNE_PHOTOS:
            raise TooFewPhotos(f"{cfg.data}: {len(store)} usable colour photos ({_skipped_text(self.skipped_counts)}); "
                               f"a personal model needs at least {MIN_FINETUNE_PHOTOS}")
        self.log(f"{len(train_idx)} training photos, {len(val_idx)} validation photos, {cfg.size} px, "
                 f"device {self.device}" + (f"; skipped {_skipped_text(self.skipped_counts)}" if store.skipped else ""))
        if self.gen_config.head == "classification" and not self.gen_config.bin_log_weights:
            # the read-out's class weights come from the colours this model learns from (the training split)
            weights = _store_log_weights(model, store, train_idx)
            self.gen_config = dataclasses.replace(self.gen_config, bin_log_weights=weights)
            model.log_weights.copy_(torch.tensor(weights))
        norm = self.gen_config.normalisation
        self.train_ds = LabCrops(store, train_idx, cfg.size, train=True, seed=cfg.seed, normalisation=norm)
        self.valid_ds = LabCrops(val_store, val_idx, cfg.final_size or cfg.size, train=False, normalisation=norm)
        self.drop_last = len(train_idx) > cfg.batch_size * self.world
        self.batches_per_epoch = n_batches(math.ceil(len(train_idx) / self.world), cfg.batch_size, self.drop_last)
        n_val = len(self.valid_ds)
        picks = list(range(0, n_val, max(1, n_val // cfg.n_samples)))[:cfg.n_samples]
        samples = [self.valid_ds[i] for i in picks]  # finetune: held-out photos, the ones its holdout.png shows
        self.sample_batch = (torch.stack([s[0] for s in samples]), torch.stack([s[1] for s in samples]))

    def _build_training(self, model):
        """The optimiser(s), the weight average, the step (Supervised, or Pix2Pix with its discriminator) and the
        RunState that holds them all."""
        from core.models import PatchGANConfig, build_model
        from core.models.generator import generator_body
        from trainer.gan import AdaptiveAugment, Pix2Pix
        from trainer.state import RunState
        from trainer.supervised import Supervised

        cfg = self.cfg
        beta1, beta2, eps, wd = cfg.adam
        opt_g = torch.optim.AdamW(param_groups(model, generator_body(model), wd), lr=cfg.lr, betas=(beta1, beta2),
                                  eps=eps)
        ema = None
        if cfg.ema:
            from timm.utils import ModelEmaV3

            ema = ModelEmaV3(model, decay=cfg.ema, use_warmup=True)
        self.generator = distributed.wrap(model)
        self.autocast = (lambda: torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16)) if cfg.bf16 \
            else contextlib.nullcontext
        if cfg.stage == "gan":
            disc = build_model(PatchGANConfig()).to(self.device)
            if cfg.channels_last:
                disc = disc.to(memory_format=torch.channels_last)
            opt_d = torch.optim.AdamW(disc.parameters(), lr=cfg.lr_d, betas=(beta1, beta2), eps=eps, weight_decay=wd)
            ada = AdaptiveAugment(cfg.ada_target, cfg.ada_speed) if cfg.ada else None
            gan = Pix2Pix(self.generator, disc, opt_g, opt_d, cfg.gan_mode, cfg.lambda_l1, ada, self.autocast)
            return RunState(model, opt_g, ema=ema, gan=gan), gan
        return RunState(model, opt_g, ema=ema), Supervised(self.generator, opt_g, self.autocast)

    # -- start and resume --------------------------------------------------------------------------------
    def start(self, resume: bool) -> bool:
        """Load state.pt when resuming (False when the run is already complete); in stage 2, measure the
        starting model's validation PSNR, which picks the best epoch."""
        if resume:
            self.state.load(Path(self.cfg.out) / "state.pt", self.device)
            if self.state.epoch >= self.cfg.epochs or self.state.stopped:
                self.log(f"{self.cfg.out}: the run is already complete (epoch {self.state.epoch})")
                return False
            if self.dir:
                self.dir.forget_after(self._global_step(self.state.epoch, self.state.batch), self.state.epoch)
            self.log(f"resuming at epoch {self.state.epoch}, batch {self.state.batch}")
        elif self.cfg.stage in ("gan", "finetune"):
            self.state.init_metrics = self.validate(self.exported_model())
            self.log(f"starting model: validation PSNR {self.state.init_metrics['psnr']:.2f} dB")
        init_psnr = self.state.init_metrics["psnr"] if self.state.init_metrics else None
        self.best_rule = best_rule(self.cfg, init_psnr)
        return True

    def _global_step(self, epoch: int, batch: int) -> int:
        return epoch * self.batches_per_epoch + batch

    # -- the loop ----------------------------------------------------------------------------------------
    def fit(self) -> None:
        self.t0, self.wall_before = time.time(), self.state.wall_time
        for epoch in range(self.state.epoch, self.cfg.epochs):
            train_loss, images, seconds = self.train_epoch(epoch)
            self.end_epoch(epoch, train_loss, images / max(seconds, 1e-9))
            why = self.reason_to_stop(epoch)
            if why:
                self.state.stopped = True
                self.save_state()
                self.log(f"stopping after epoch {epoch + 1}: {why}")
                break

    def reason_to_stop(self, epoch: int) -> str | None:
        """Why a run should end before its last epoch (finetune's time budget and patience), or None."""
        cfg = self.cfg
        if epoch + 1 >= cfg.epochs:
            return None
        if cfg.minutes and self.wall_time() >= cfg.minutes * 60:
            return f"the {cfg.minutes:g}-minute budget is used"
        if cfg.stage == "finetune" and cfg.patience and epoch - self.state.best_epoch >= cfg.patience:
            return f"no better on the held-out photos for {cfg.patience} epochs"
        return None

    def train_epoch(self, epoch: int) -> tuple[float, int, float]:
        """Train from the state's batch to the end of the epoch; (mean loss, images, seconds) of what ran."""
        from trainer.data import batches, epoch_order

        cfg, state = self.cfg, self.state
        self.train_ds.epoch, self.train_ds.size = epoch, cfg.size_at(epoch)
        self.generator.train()
        if cfg.freeze_bn:
            for m in self.generator.modules():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.eval()
        order = epoch_order(len(self.train_ds), epoch, cfg.seed, True, self.rank, self.world)
        bar = tqdm(total=self.batches_per_epoch, initial=state.batch, desc=f"[{epoch + 1}/{cfg.epochs}]",
                   disable=not distributed.is_main(), dynamic_ncols=True)
        losses, images, t_epoch = [], 0, time.time()
        for l, ab in batches(self.train_ds, order, cfg.batch_size, self.drop_last, start=state.batch):
            t = time.time()
            lr = self.set_hyperparameters(epoch, state.batch)
            stats = self.step.train_step(*(x.to(self.device, non_blocking=True) for x in (l, ab)))
            if state.ema is not None:
                state.ema.update(state.generator, step=self._global_step(epoch, state.batch))
            state.batch += 1
            now = time.time()
            images += len(l)
            losses.append(stats["loss"])
            step = self._global_step(epoch, state.batch)
            if self.dir:
                self.dir.log_step({"step": step, "epoch": epoch, "loss": stats["loss"], "lr": lr,
                                   "images_per_s": round(len(l) / (now - t), 2),
                                   **{k: v for k, v in stats.items() if k != "loss"}})
            bar.update()
            bar.set_postfix_str(f"loss {sum(losses[-20:]) / len(losses[-20:]):.4f}, "
                                f"{images / (now - t_epoch):.1f} img/s")
            if step % cfg.save_every == 0:
                self.save_state()
        bar.close()
        sys.stderr.flush()  # the bar's closing newline before the epoch's summary line on stdout
        return (sum(losses) / len(losses) if losses else math.nan), images, time.time() - t_epoch

    def set_hyperparameters(self, epoch: int, batch: int) -> float:
        """Learning rates and beta1 for this step, from the schedule; the encoder's group is scaled (zero while
        frozen). Returns the peak group's learning rate."""
        cfg = self.cfg
        lr, beta1 = self.schedule(self._global_step(epoch, batch) / (cfg.epochs * self.batches_per_epoch))
        body_mult = 0.0 if epoch < cfg.freeze_epochs else cfg.body_lr_mult
        for group in self.state.opt_g.param_groups:
            group["lr"] = lr * (body_mult if group["part"] == "body" else 1.0)
            group["betas"] = (beta1, group["betas"][1])
        if self.state.gan:
            self.state.gan.set_lr(cfg.lr_d * lr / cfg.lr)
        return lr

    def exported_model(self):
        """What the run ships: the weight average when there is one, else the generator itself."""
        return self.state.ema.module if self.state.ema is not None else self.state.generator

    @torch.no_grad()
    def validate(self, model) -> dict[str, float]:
        """valid_loss (stage 1's loss: L1 for a regression head, so also in stage 2), PSNR, colourfulness and
        delta_cf over the validation set."""
        from trainer.data import batches, epoch_order
        from trainer.metrics import ColourStats, lab_batch_to_rgb
        from trainer.supervised import generator_loss

        was_training = model.training
        model.eval()
        stats, loss_sum, n = ColourStats(), 0.0, 0
        order = epoch_order(len(self.valid_ds), 0, 0, False, self.rank, self.world)
        for l, ab in batches(self.valid_ds, order, self.cfg.batch_size, drop_last=False):
            l, ab = l.to(self.device), ab.to(self.device)
            with self.autocast():
                loss, pred = generator_loss(model, l, ab, predict=True)  # the gan stage's generator: L1
            loss_sum, n = loss_sum + loss.item() * len(l), n + len(l)
            norm = self.gen_config.normalisation
            stats.add(lab_batch_to_rgb(l, pred, norm), lab_batch_to_rgb(l, ab, norm))
        model.train(was_training)
        return {"valid_loss": loss_sum / n, **stats.result()}

    def end_epoch(self, epoch: int, train_loss: float, images_per_s: float) -> None:
        """Validate the exported model, log, draw, export last (and best) and save the state."""
        model = self.exported_model()
        if distributed.active():
            if not distributed.weights_in_sync(self.state.generator):
                raise RuntimeError("DDP: the processes' generator parameters have drifted apart")
            self.log(f"DDP: the {distributed.world_size()} processes hold identical generator parameters")
        row = {"epoch": epoch, "train_loss": train_loss, **self.validate(model)}
        improved = False
        if self.dir:
            self.dir.log_epoch(row)
            self.save_samples(epoch, model)
            self.dir.plot_losses()
            improved = self.export(epoch, row)
        self.state.epoch, self.state.batch = epoch + 1, 0
        self.save_state()
        if distributed.is_main():
            print(f"epoch {epoch + 1}/{self.cfg.epochs}: train loss {train_loss:.4f}, valid loss "
                  f"{row['valid_loss']:.4f}, PSNR {row['psnr']:.2f} dB, dCF {row['delta_cf']:.1f}, "
                  f"{images_per_s:.1f} img/s{', new best' if improved else ''}", flush=True)

    def export(self, epoch: int, row: dict) -> bool:
        """last.safetensors, and best.safetensors when this epoch scores better; True when best was written."""
        card = dict(self.card, epochs_done=epoch + 1, wall_time_s=round(self.wall_time()),
                    validation={k: round(v, 4) if isinstance(v, float) else v for k, v in row.items() if k != "epoch"})
        model = self.exported_model()
        self.dir.export("last", model, self.gen_config, card)
        score = self.best_rule(row)
        if score < self.state.best:
            self.state.best, self.state.best_epoch = score, epoch
            self.dir.export("best", model, self.gen_config, dict(card, **self.finetune_card(row)))
            if self.cfg.stage == "finetune":
                self.save_comparison(model)
            return True
        return False

    @torch.no_grad()
    def save_comparison(self, model) -> None:
        """holdout.png: held-out photos, rows gray | the starting model | this run's best | the real colour."""
        from core.checkpoint import load_checkpoint
        from trainer.metrics import lab_batch_to_rgb

        l, ab = (t.to(self.device) for t in self.sample_batch)
        if self._start_prediction is None:  # the starting model's colours never change: predicted once
            self._start_prediction = self._predict(load_checkpoint(self.cfg.init, device=self.device).model, l)
        rows = [torch.zeros_like(ab), self._start_prediction, self._predict(model, l), ab]
        norm = self.gen_config.normalisation
        self.dir.save_grid("holdout.png", *(lab_batch_to_rgb(l, x, norm) for x in rows))

    def _predict(self, model, l: torch.Tensor) -> torch.Tensor:
        """model's normalised ab for a batch of L, in eval mode; the model's mode is left as it was."""
        was_training = model.training
        model.eval()
        with self.autocast():
            pred = model(l).float()
        model.train(was_training)
        return pred

    def finetune_card(self, row: dict) -> dict:
        """What a personal model's card records besides the usual: its photos, time, and the held-out photos'
        metrics against the starting model's."""
        if self.cfg.stage != "finetune":
            return {}
        keys = ("valid_loss", "psnr", "colourfulness", "delta_cf")
        return {"finetune": {
            "photos_used": len(self.train_ds) + len(self.valid_ds), "photos_held_out": len(self.valid_ds),
            "skipped": self.skipped_counts, "minutes": round(self.wall_time() / 60, 1),
            "held_out": {"starting_model": {k: round(self.state.init_metrics[k], 4) for k in keys},
                         "personal_model": {k: round(float(row[k]), 4) for k in keys}}}}

    @torch.no_grad()
    def save_samples(self, epoch: int, model) -> None:
        from trainer.metrics import lab_batch_to_rgb

        l, ab = (t.to(self.device) for t in self.sample_batch)
        pred = self._predict(model, l)
        norm = self.gen_config.normalisation
        self.dir.save_samples(epoch, *(lab_batch_to_rgb(l, x, norm) for x in (torch.zeros_like(ab), pred, ab)))

    def wall_time(self) -> float:
        """Seconds of training so far, over every process that worked on this run."""
        return self.wall_before + time.time() - self.t0

    def save_state(self) -> None:
        self.state.wall_time = self.wall_time()
        if self.dir:
            self.state.save(self.dir.state_file)


def _stage_label(cfg: RunConfig, config) -> str:
    if cfg.stage == "finetune":
        return "finetune (a personal model from its owner's colour photos)"
    if cfg.stage == "gan":
        return "gan (pix2pix: adversarial + lambda * L1)"
    if config.head == "classification":
        return f"pretrain (classification: soft-encoded cross-entropy over a*b* bins of {config.bin_grid})"
    return "pretrain (L1)"


def train(cfg: RunConfig, resume: bool = False, log=print) -> Trainer | None:
    """Run (or, with resume, continue) the training a RunConfig describes."""
    if cfg.background:
        os.nice(10)  # below the desktop and everything the person is doing
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    if not resume and distributed.is_main():
        cfg.save(Path(cfg.out))
    trainer = Trainer(cfg, log)
    if not trainer.start(resume):
        return None
    trainer.fit()
    return trainer
