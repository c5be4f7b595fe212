"""Lesson 4b (article §2 and the FAQ's first question): what the first and second Conv2D of
the section-4 CNN respond to on test digits, and lesson 8's DCGAN as two CNNs. The claims
are checked from the globals of one notebook run (quick mode), recomputed here another way
(tinydl's own convolution instead of the lesson's windows)."""
import numpy as np
import pytest

import tinydl.functional as F
from tinydl.applications import dcgan_discriminator, dcgan_generator

from lesson_helpers import lesson_definitions, need_mnist, run_notebook

STEM = "04b_what_cnns_learn_and_gans"


@pytest.fixture(scope="module")
def run():
    need_mnist()
    return run_notebook(STEM)


@pytest.fixture(scope="module")
def lesson():
    return lesson_definitions(STEM)


def test_odd_share_of_known_and_random_kernels(lesson):
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert lesson.odd_share(sobel) == pytest.approx(1.0)
    assert lesson.odd_share(np.array([[-1.0, 2, -1]] * 3)) == pytest.approx(0.0)
    assert lesson.odd_share(np.ones((3, 3))) == pytest.approx(0.0)
    # 4 of the 9 directions of a 3×3 kernel are odd: 4/9 on average for random kernels
    random = np.random.default_rng(0).normal(size=(3, 3, 20000))
    assert lesson.odd_share(random).mean() == pytest.approx(4 / 9, abs=0.01)


def test_the_digit_network_has_no_colour_to_learn(run):
    assert run["first_kernel"].shape == (3, 3, 1, 32)       # one input channel
    assert run["probe"].shape[-1] == 1


def test_top_patches_give_each_channels_largest_activations(run):
    """Recomputed with F.conv2d (a true convolution) over every position of the probes:
    the reported activations are the channel's 9 largest, and each reported patch alone
    gives its reported activation."""
    kernel, bias, probe = run["first_kernel"], run["first_bias"], run["probe"]
    maps = np.maximum(0.0, F.conv2d(probe, kernel, bias).data)        # (N, 26, 26, 32)
    top1 = run["top1"]
    assert set(top1) == set(run["edge_channels"]) | set(run["even_channels"])
    for channel, found in top1.items():
        largest = np.sort(maps[..., channel].ravel())[::-1][:9]
        np.testing.assert_allclose(found["activations"], largest, atol=1e-5)
        alone = np.maximum(0.0, F.conv2d(found["patches"], kernel, bias).data)[:, 0, 0, channel]
        np.testing.assert_allclose(alone, found["activations"], atol=1e-5)


def test_edge_channels_are_odd_and_their_patches_are_edges_at_the_kernels_angle(run):
    shares = run["shares"]
    assert min(shares[run["edge_channels"]]) > max(shares[run["even_channels"]])
    assert min(shares[run["edge_channels"]]) >= np.sort(shares)[-4]
    gaps = run["angle_gaps"]
    assert set(gaps) == set(run["edge_channels"])
    assert max(gaps.values()) < 45, gaps
    assert "the patches are edges at the kernels' angles" in run.stdout


def test_chance_comparison_is_computed_from_the_kernels(run, lesson):
    shares = run["shares"]
    np.testing.assert_allclose(shares, lesson.odd_share(run["first_kernel"][:, :, 0, :]))
    assert run["trained_top4"] == pytest.approx(np.sort(shares)[-4:].mean())
    assert run["as_edgy"] == pytest.approx(np.mean(run["random_top4"] >= run["trained_top4"]))
    verdict = "more edge-like than" if run["as_edgy"] < 0.05 else "not clearly more edge-like than"
    assert f"is {verdict} chance" in run.stdout


def test_second_layer_sees_8x8_patches(run):
    """A conv2 pixel's receptive field is 8×8: the patch alone, through conv1, pooling and
    conv2, gives a 1×1 map with the activation it had inside the digit."""
    top2 = run["top2"]
    assert len(top2) == 4
    for found in top2.values():
        assert found["patches"].shape == (9, 8, 8, 1)
        assert np.all(np.diff(found["activations"]) <= 0)
    c = run["channels2"][0]
    assert run["alone"].shape[1:3] == (1, 1)
    assert run["alone"][0, 0, 0, c] == pytest.approx(top2[c]["activations"][0], abs=1e-5)
    # the largest activation of the channel over all positions is the first one reported
    assert top2[c]["activations"][0] == pytest.approx(run["maps2"][..., c].max())


def test_the_classifier_answers_per_image_not_per_pixel(run):
    assert run["output_shape"] == (2, 10)


def test_the_dcgan_is_built_from_cnns(run):
    d, g = run["d_layers"], run["g_layers"]
    assert d.count("Conv2D") >= 2 and "Conv2DTranspose" not in d and d[-1] == "Dense"
    assert g.count("Conv2DTranspose") >= 2 and "Conv2D" not in g and g[0] == "Dense"
    # and it is lesson 8's DCGAN, tinydl.applications', not a copy
    generator, discriminator = dcgan_generator(), dcgan_discriminator()
    assert [type(layer).__name__ for layer in discriminator.layers] == d
    assert [type(layer).__name__ for layer in generator.layers] == g


def test_one_forward_pass_noise_to_image_to_probability(run):
    assert run["z"].shape == (8, 100)
    fake, scores = run["fake"], run["scores"]
    assert fake.shape == (8, 28, 28, 1) and np.abs(fake).max() <= 1.0
    assert scores.shape == (8, 1) and np.all((scores > 0) & (scores < 1))


def test_g_last_layer_is_d_first_layer_run_backwards(run):
    assert run["w"].shape == (4, 4, 1, 32)
    assert abs(run["forward"]) > 0.1
    assert run["adjoint_gap"] < 1e-5 * max(1.0, abs(run["forward"]))


def test_the_figures(run):
    assert {p.name for p in run.figures} == {
        "feature_maps_conv1.png", "top_patches_conv1.png", "top_patches_conv2.png",
        "untrained_dcgan.png"}
