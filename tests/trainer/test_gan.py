"""pix2pix pieces: the GAN loss, the discriminator's augmentation and ADA's controller, and one train_step."""

import pytest
import torch
import torch.nn.functional as F

from core.models import GeneratorConfig, PatchGANConfig, build_model
from trainer.gan import AdaptiveAugment, GANLoss, Pix2Pix, augment


def test_gan_loss_vanilla_is_bce_on_logits_and_lsgan_is_squared_error():
    logits = torch.tensor([2.0, -1.0, 0.5])
    assert GANLoss("vanilla")(logits, True).item() == pytest.approx(-F.logsigmoid(logits).mean().item())
    assert GANLoss("vanilla")(logits, False).item() == pytest.approx(-F.logsigmoid(-logits).mean().item())
    assert GANLoss("lsgan")(logits, True).item() == pytest.approx(((logits - 1) ** 2).mean().item())
    assert GANLoss("lsgan")(logits, False).item() == pytest.approx((logits**2).mean().item())
    with pytest.raises(ValueError, match="wgan"):
        GANLoss("wgan")


def test_augment_with_p_zero_is_the_identity_and_with_p_one_moves_or_hides_pixels():
    torch.manual_seed(0)
    x = torch.rand(8, 3, 32, 32) + 0.1  # no zeros, so any zero afterwards is padding or cutout
    assert augment(x, 0.0) is x
    y = augment(x, 1.0)
    assert y.shape == x.shape
    assert all((y[i] == 0).any() or not torch.equal(y[i], x[i]) for i in range(8))
    # what stays visible keeps its values: only translation and cutout, no colour change
    assert set(y[y != 0].tolist()) <= set(x.flatten().tolist())


def test_ada_raises_p_when_d_overfits_and_lowers_it_when_not():
    ada = AdaptiveAugment(target=0.6, speed_images=100, interval=2)
    for _ in range(4):
        ada.update(torch.ones(10))  # D sure every real is real: r_t = 1 > 0.6
    assert ada.p == pytest.approx(0.4)  # two updates of 20 images / 100
    for _ in range(2):
        ada.update(-torch.ones(10))
    assert ada.p == pytest.approx(0.2)
    for _ in range(20):
        ada.update(-torch.ones(10))
    assert ada.p == 0.0  # clamped


@pytest.fixture(scope="module")
def pix2pix_parts():
    torch.manual_seed(0)
    g = build_model(GeneratorConfig(img_size=32)).train()
    d = build_model(PatchGANConfig()).train()
    return g, d


def test_one_step_trains_d_then_g_with_lambda_l1_plus_adversarial(pix2pix_parts):
    g, d = pix2pix_parts
    opt_g = torch.optim.AdamW(g.parameters(), 1e-3)
    opt_d = torch.optim.AdamW(d.parameters(), 1e-3)
    step = Pix2Pix(g, d, opt_g, opt_d, "vanilla", lambda_l1=100.0)
    l, ab = torch.rand(2, 1, 32, 32) * 2 - 1, torch.rand(2, 2, 32, 32) * 0.4 - 0.2
    d_before = [p.detach().clone() for p in d.parameters()]
    g_before = [p.detach().clone() for p in g.parameters()]
    stats = step.train_step(l, ab)
    assert stats["loss"] == pytest.approx(stats["loss_g_adv"] + 100.0 * stats["loss_l1"], rel=1e-5)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, d.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(g_before, g.parameters()))
    assert all(p.requires_grad is False for p in d.parameters())  # left frozen after G's step
    # D's loss is the mean of its losses on real and generated pairs, as computed from its logits
    assert 0 < stats["loss_d"] and stats["d_real"] != stats["d_fake"]
