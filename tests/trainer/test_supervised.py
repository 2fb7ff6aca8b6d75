"""Stage 1's loss on a tiny fixed batch: it falls, for both heads."""

import pytest
import torch

from core.models import GeneratorConfig, build_model
from trainer.supervised import Supervised, generator_loss


@pytest.mark.parametrize("head", ["regression", "classification"])
def test_the_loss_falls_on_a_tiny_fixed_batch(head):
    torch.manual_seed(0)
    model = build_model(GeneratorConfig(arch="efficientnet_lite0", head=head, img_size=32)).train()
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing="ij")
    l = torch.stack([xx, yy])[:, None]  # two gray gradients
    ab = torch.stack([torch.stack([0.4 * (xx > 0), -0.3 * (yy > 0)]), torch.stack([-0.3 * (yy > 0), 0.2 * (xx > 0)])])
    step = Supervised(model, torch.optim.AdamW(model.parameters(), 2e-3))
    losses = [step.train_step(l, ab.float())["loss"] for _ in range(25)]
    assert losses[-1] < 0.7 * losses[0]
    model.eval()
    with torch.no_grad():
        loss, pred = generator_loss(model, l, ab.float(), predict=True)
    assert pred.shape == ab.shape
