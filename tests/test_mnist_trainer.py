"""Tests of course_utils.mnist_trainer (lesson 04's machinery)."""

import numpy as np
import pytest

from course_utils import mnist_trainer as mt


def tiny_split(n_train=64, n_heldout=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_heldout, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, n_train + n_heldout)
    return mt.Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def test_batch_indices_reshuffle_every_pass_and_share_first_rows():
    rows = mt.batch_indices(10, 5, 4, seed=3)  # 20 rows: two full passes over 10 images
    assert rows.shape == (5, 4)
    flat = rows.ravel()
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:]) == list(range(10))
    assert np.array_equal(mt.batch_indices(10, 3, 4, seed=3), rows[:3])


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_batch_indices_refuse_non_positive_sizes_naming_the_argument(bad):
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        mt.batch_indices(10, bad, 4, seed=0)


def test_adam_steps_match_keras_adam_on_one_weight():
    import keras
    import tensorflow as tf

    grads = np.random.default_rng(1).normal(size=40) * np.linspace(1, 1e-4, 40)
    weight, opt, moved = (
        tf.Variable(0.0, dtype=tf.float64),
        keras.optimizers.Adam(1.0),
        [],
    )
    for g in grads:
        before = weight.numpy()
        opt.apply_gradients([(tf.constant(g, tf.float64), weight)])
        moved.append(before - weight.numpy())
    assert np.max(np.abs(np.array(moved) - mt.adam_steps(grads))) < 1e-4


def test_adam_bound_is_reached_by_growing_gradient_and_has_the_stated_values():
    t = np.arange(1, 1563)
    growing = (mt.BETA2 / mt.BETA1) ** t
    assert np.allclose(mt.adam_steps(growing), mt.adam_bound(t), rtol=1e-5)
    assert mt.adam_bound(1) == pytest.approx(1.0)
    assert mt.adam_bound(10) == pytest.approx(1.043, abs=1e-3)
    assert mt.adam_bound(1562) == pytest.approx(6.464, abs=1e-3)
    assert mt.adam_bound(np.inf) == pytest.approx(7.270, abs=1e-3)
    noisy = mt.adam_steps(np.random.default_rng(0).normal(size=300))
    assert np.all(np.abs(noisy) <= mt.adam_bound(np.arange(1, 301)) + 1e-12)


def test_build_cnn_has_the_questions_parameters_and_seeded_weights():
    a = mt.build_cnn(mt.normal_std1, mt.normal_std1, seed=5)
    b = mt.build_cnn(mt.normal_std1, mt.normal_std1, seed=5)
    mixed = mt.build_cnn(
        mt.glorot, mt.zeros, conv1=(mt.normal_std1, mt.normal_std1), seed=5
    )
    assert a.count_params() == 3_274_634
    for name in mt.LAYERS:
        assert np.array_equal(
            a.get_layer(name).kernel.numpy(), b.get_layer(name).kernel.numpy()
        )
    assert np.array_equal(
        mixed.get_layer("conv1").kernel.numpy(), a.get_layer("conv1").kernel.numpy()
    )
    assert np.all(mixed.get_layer("conv2").bias.numpy() == 0)
    assert np.std(mixed.get_layer("conv2").kernel.numpy()) < 0.1


def test_build_cnn_refuses_a_dropout_rate_outside_0_1():
    with pytest.raises(ValueError, match="dropout_rate must be in"):
        mt.build_cnn(mt.glorot, mt.zeros, dropout_rate=1.0)


def test_train_matches_keras_fit_and_leaves_a_frozen_layer_unmoved():
    import keras

    split = tiny_split()
    ours = mt.build_cnn(mt.glorot, mt.zeros, seed=2)
    theirs = mt.build_cnn(mt.glorot, mt.zeros, seed=2)
    frozen = mt.build_cnn(mt.glorot, mt.zeros, seed=2)
    frozen.get_layer("conv1").trainable = False
    runs = mt.train({"ours": ours, "frozen": frozen}, split, 3, batch_size=16, seed=0)
    rows = mt.batch_indices(len(split.x_train), 3, 16, seed=10).ravel()
    theirs.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    theirs.fit(
        split.x_train[rows],
        split.y_train[rows],
        batch_size=16,
        shuffle=False,
        verbose=0,
    )
    for name in mt.LAYERS:
        a, b = (
            ours.get_layer(name).kernel.numpy(),
            theirs.get_layer(name).kernel.numpy(),
        )
        assert np.max(np.abs(a - b)) < 1e-6
    assert (
        runs["frozen"]["distance"][-1, 0] == 0
        and runs["frozen"]["grad_norm"][-1, 0] == 0
    )
    assert runs["ours"]["distance"].shape == (3, 4) and set(runs["ours"]["at"]) == {3}
    at = runs["ours"]["at"][3]
    assert 0.1 <= at["top_class_share"] <= 1 and at["logit_sd"] > 0


def test_train_refuses_snapshots_outside_the_run_and_no_models():
    split = tiny_split()
    with pytest.raises(ValueError, match="snapshots must lie in 1..2"):
        mt.train({"m": mt.build_cnn(mt.glorot, mt.zeros)}, split, 2, snapshots=(5,))
    with pytest.raises(ValueError, match="at least one model"):
        mt.train({}, split, 2)


def test_relative_change_is_nan_for_a_layer_that_starts_at_zero():
    run = {
        "distance": np.array([[1.0, 2.0, 0.5, 0.0]]),
        "norm0": np.array([0.0, 4.0, 1.0, 2.0]),
    }
    change = mt.relative_change(run, 1)
    assert np.isnan(change[0]) and change[1:].tolist() == [0.5, 0.5, 0.0]


def test_train_stops_early_when_asked_and_keeps_the_steps_done():
    split = tiny_split()
    runs = mt.train(
        {"m": mt.build_cnn(mt.glorot, mt.zeros)}, split, 6, batch_size=16,
        snapshots=(2, 4), stop_when=lambda at: 4 in at["m"],
    )  # fmt: skip
    assert len(runs["m"]["loss"]) == 4 and sorted(runs["m"]["at"]) == [2, 4]
