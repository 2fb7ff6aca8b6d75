"""a*b* classes: the gamut's bins, soft encoding, the loss and the annealed-mean read-out."""

import numpy as np
import pytest
import torch

from core import lab
from core.models.colour_bins import NEIGHBOURS, ColourBins, gamut_bins


@pytest.fixture(scope="module")
def bins():
    return ColourBins(10)


def test_bins_cover_every_srgb_colour_and_nothing_far_outside():
    centres = gamut_bins(10)
    rng = np.random.default_rng(0)
    ab = lab.rgb_to_lab(rng.random((4000, 1, 3)))[:, 0, 1:]
    nearest = np.sqrt(((ab[:, None, :] - centres[None]) ** 2).sum(-1)).min(1)
    assert nearest.max() <= 5 * np.sqrt(2) + 1e-6  # every colour lies in some bin's 10 x 10 cell
    assert [0.0, 0.0] in centres.tolist()
    assert not any((c == [-100.0, 100.0]).all() for c in centres)  # green-yellow that saturated: out of gamut
    assert 200 < len(centres) < 313  # Zhang et al.'s ImageNet bins: 313, partly outside sRGB


def test_soft_encoding_weights_sum_to_one_and_favour_the_nearest_bin(bins):
    ab = torch.tensor([[-28.0, 61.0], [0.0, 0.0], [40.0, -7.0]]).T.reshape(1, 2, 1, 3)
    idx, w = bins.soft_encode(ab)
    assert idx.shape == w.shape == (1, NEIGHBOURS, 1, 3)
    torch.testing.assert_close(w.sum(1), torch.ones(1, 1, 3))
    for j, (a, b) in enumerate([(-28, 61), (0, 0), (40, -7)]):
        d = ((bins.centres - torch.tensor([a, b], dtype=torch.float32)) ** 2).sum(1)
        assert idx[0, 0, 0, j] == d.argmin()  # the heaviest neighbour is the nearest centre
        assert w[0, 0, 0, j] == w[0, :, 0, j].max()


def test_loss_is_lowest_for_the_true_colour(bins):
    ab = torch.full((1, 2, 4, 4), 0.0)
    ab[:, 0], ab[:, 1] = 40.0, 60.0  # orange
    right, wrong = torch.zeros(1, len(bins), 4, 4), torch.zeros(1, len(bins), 4, 4)
    right[:, ((bins.centres - torch.tensor([40.0, 60.0])) ** 2).sum(1).argmin()] = 8.0
    wrong[:, ((bins.centres - torch.tensor([-40.0, -30.0])) ** 2).sum(1).argmin()] = 8.0
    uniform = torch.zeros(1, len(bins), 4, 4)
    assert bins.loss(right, ab) < bins.loss(uniform, ab) < bins.loss(wrong, ab)
    # a full-size target is pooled to the logits' size
    assert bins.loss(right, ab.repeat_interleave(2, -1).repeat_interleave(2, -2)) == pytest.approx(
        bins.loss(right, ab).item())


def test_annealed_mean_runs_from_the_mean_to_the_mode(bins):
    logits = torch.full((1, len(bins), 1, 1), -30.0)
    k_blue = ((bins.centres - torch.tensor([0.0, -40.0])) ** 2).sum(1).argmin()
    k_gray = ((bins.centres - torch.tensor([0.0, 0.0])) ** 2).sum(1).argmin()
    logits[0, k_blue], logits[0, k_gray] = 1.0, 0.5  # a little more likely blue than gray
    mean = bins.annealed_mean(logits, 1.0)[0, :, 0, 0]
    p_blue = 1 / (1 + np.exp(-0.5))
    assert mean.tolist() == pytest.approx([0.0, -40.0 * p_blue], abs=1e-3)
    mode = bins.annealed_mean(logits, 0.01)[0, :, 0, 0]
    assert mode.tolist() == pytest.approx(bins.centres[k_blue].tolist(), abs=1e-3)
    # in between, colder is bolder
    b = [bins.annealed_mean(logits, t)[0, 1, 0, 0].item() for t in (1.0, 0.38, 0.1)]
    assert b[0] > b[1] > b[2]


def test_rebalancing_weighs_rare_colours_more(bins):
    rng = np.random.default_rng(0)
    ab = np.concatenate([rng.normal(0, 3, (9000, 2)), rng.normal([0, -40], 3, (1000, 2))])  # mostly gray, some blue
    freq = bins.frequencies(ab)
    assert freq.sum() == pytest.approx(1.0)
    k_gray = int(((bins.centres - torch.tensor([0.0, 0.0])) ** 2).sum(1).argmin())
    k_blue = int(((bins.centres - torch.tensor([0.0, -40.0])) ** 2).sum(1).argmin())
    assert freq[k_gray] > freq[k_blue] > 0.05
    w = np.exp(bins.rebalancing_log_weights(freq))
    assert w[k_gray] < w[k_blue] < w.max()  # never-seen colours weigh most


def test_prior_boost_saturates_an_unsure_prediction_and_zero_changes_nothing():
    from core.models import GeneratorConfig, build_model

    bins = ColourBins(10)
    freq = np.full(len(bins), 1e-4)
    k_gray = int(((bins.centres - torch.tensor([0.0, 0.0])) ** 2).sum(1).argmin())
    freq[k_gray] = 1.0
    weights = tuple(float(w) for w in bins.rebalancing_log_weights(freq / freq.sum()))
    plain = build_model(GeneratorConfig(arch="efficientnet_lite0", head="classification", img_size=32)).eval()
    boosted = build_model(GeneratorConfig(arch="efficientnet_lite0", head="classification", img_size=32,
                                          prior_boost=1.0, bin_log_weights=weights)).eval()
    boosted.load_state_dict(plain.state_dict())
    unboosted = build_model(GeneratorConfig(arch="efficientnet_lite0", head="classification", img_size=32,
                                            bin_log_weights=weights)).eval()
    unboosted.load_state_dict(plain.state_dict())
    x = torch.rand(1, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        a, b, c = plain(x), unboosted(x), boosted(x)
    torch.testing.assert_close(a, b)
    assert c.abs().mean() > a.abs().mean()  # away from gray, the most common colour
