"""course_utils.primer: the batched trainer against Keras, and its input checks."""

import numpy as np
import pytest
import tensorflow as tf

from course_utils import primer


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (40, 10, 10)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    return x, y


@pytest.mark.parametrize(
    "activation, pooling, filters",
    [("relu", "max", 2), ("tanh", "average", 3), ("sigmoid", "none", 1)],
)
def test_each_run_predicts_as_its_keras_model(data, activation, pooling, filters):
    x, y = data
    nets = primer.init_many(
        3, (10, 10), filters=filters, activation=activation, pooling=pooling, seed=1
    )
    probs = nets.predict(x)
    assert probs.shape == (40, 3, 10)
    for run in range(3):
        keras_probs = nets.to_keras(run).predict(x[..., None], verbose=0)
        assert np.abs(probs[:, run] - keras_probs).max() < 1e-5
        assert nets.to_keras(run).count_params() == nets.params_per_network


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy"])
def test_training_matches_keras_sgd_on_the_same_batches(data, loss):
    x, y = data
    nets = primer.train_many(
        x, y, n_runs=2, steps=5, batch_size=8, learning_rate=0.3, loss=loss, seed=2
    )
    model = nets.initial.to_keras(1)

    def loss_fn(target, probs):
        if loss == "squared_error":
            return tf.reduce_mean(tf.reduce_sum(0.5 * (target - probs) ** 2, axis=1))
        p = tf.clip_by_value(probs, 1e-7, 1.0)
        return tf.reduce_mean(-tf.reduce_sum(target * tf.math.log(p), axis=1))

    for index in nets.batches[:, :, 1]:
        with tf.GradientTape() as tape:
            value = loss_fn(tf.one_hot(y[index], 10), model(x[index][..., None]))
        grads = tape.gradient(value, model.trainable_variables)
        for v, g in zip(model.trainable_variables, grads):
            v.assign_sub(0.3 * g)
    gap = np.abs(nets.predict(x)[:, 1] - model.predict(x[..., None], verbose=0)).max()
    assert gap < 1e-5


def test_runs_are_reproducible_and_independent(data):
    x, y = data
    a = primer.train_many(x, y, n_runs=2, steps=3, batch_size=4, seed=5)
    b = primer.train_many(
        x, y, n_runs=3, steps=3, batch_size=4, seed=5, loss="cross_entropy"
    )
    assert np.array_equal(a.initial.conv_w, b.initial.conv_w[:, :, :2])  # same starts
    assert np.array_equal(a.batches, b.batches[:, :, :2])  # same batches
    assert not np.array_equal(a.batches[:, :, 0], a.batches[:, :, 1])
    assert a.batches.shape == (3, 4, 2)


def test_first_runs_equal_a_smaller_call(data):
    x, y = data
    many = primer.train_many(x, y, n_runs=3, steps=4, batch_size=4, seed=7)
    few = primer.train_many(x, y, n_runs=2, steps=4, batch_size=4, seed=7)
    assert np.abs(many.first(2).predict(x) - few.predict(x)).max() < 1e-6
    assert np.array_equal(many.first(2).batches, few.batches)
    with pytest.raises(ValueError, match="n must be at most n_runs=3, got 4"):
        many.first(4)


def test_zero_steps_returns_the_start(data):
    x, y = data
    nets = primer.train_many(x, y, n_runs=2, steps=0)
    assert np.array_equal(nets.conv_w, nets.initial.conv_w)


def test_accuracy_active_share_and_gradient_norms_have_one_value_per_run(data):
    x, y = data
    nets = primer.init_many(4, (10, 10), seed=3)
    assert nets.accuracy(x, y).shape == (4,)
    share = nets.active_share(x)
    assert share.shape == (4,) and np.all((share >= 0) & (share <= 1))
    dead = primer.init_many(1, (10, 10), seed=3)
    dead.conv_b[:] = -100.0
    assert dead.active_share(x)[0] == 0
    norms = nets.gradient_norms(x, y, "cross_entropy")
    assert norms.shape == (4,) and np.all(norms > 0)


def test_gradient_norm_of_one_run_matches_a_direct_computation(data):
    x, y = data
    nets = primer.init_many(2, (10, 10), seed=4)
    model = nets.to_keras(1)
    with tf.GradientTape() as tape:
        probs = model(x[..., None])
        value = tf.reduce_mean(
            tf.reduce_sum(0.5 * (tf.one_hot(y, 10) - probs) ** 2, axis=1)
        )
    grads = tape.gradient(value, model.trainable_variables)
    direct = np.sqrt(sum(float(tf.reduce_sum(g**2)) for g in grads))
    assert nets.gradient_norms(x, y, "squared_error")[1] == pytest.approx(
        direct, rel=1e-4
    )


def test_feature_count_and_parameters():
    assert primer.feature_count(28, 28, 4, "max") == 676
    assert primer.feature_count(28, 28, 4, "none") == 2704
    assert primer.init_many(1, seed=0).params_per_network == 6810
    assert primer.init_many(1, pooling="none", seed=0).params_per_network == 27090


def test_zoom_keeps_the_size_and_scales_about_the_centre():
    square = np.zeros((1, 20, 20), np.float32)
    square[0, 8:12, 8:12] = 1.0
    bigger, smaller = primer.zoom(square, 2.0), primer.zoom(square, 0.5)
    assert bigger.shape == smaller.shape == (1, 20, 20)
    assert bigger.sum() == pytest.approx(4 * square.sum(), rel=0.05)
    assert smaller.sum() == pytest.approx(square.sum() / 4, rel=0.05)
    assert np.array_equal(primer.zoom(square, 1.0), square)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(n_runs=0), ValueError, "n_runs must be at least 1, got 0"),
        (dict(n_runs=2.0), TypeError, "n_runs must be an int, got float"),
        (dict(steps=-1), ValueError, "steps must be at least 0"),
        (dict(learning_rate=0.0), ValueError, "learning_rate must be a positive"),
        (dict(learning_rate="0.5"), TypeError, "learning_rate must be a number"),
        (dict(loss="mse"), ValueError, "loss must be one of"),
        (dict(activation="elu"), ValueError, "activation must be one of"),
        (dict(pooling=None), TypeError, "pooling must be a str, got NoneType"),
    ],
)
def test_train_many_rejects_bad_arguments(data, kwargs, error, message):
    x, y = data
    args = dict(n_runs=1, steps=1) | kwargs
    with pytest.raises(error, match=message):
        primer.train_many(x, y, **args)


def test_train_many_rejects_bad_data(data):
    x, y = data
    with pytest.raises(TypeError, match="x must be a float array"):
        primer.train_many((x * 255).astype(np.uint8), y, n_runs=1, steps=1)
    with pytest.raises(ValueError, match=r"x must have shape \(N, H, W\)"):
        primer.train_many(x[0], y, n_runs=1, steps=1)
    with pytest.raises(ValueError, match="labels must be 40 integers"):
        primer.train_many(x, y[:5], n_runs=1, steps=1)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.9"):
        primer.train_many(x, y + 10, n_runs=1, steps=1)
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        primer.train_many(x.tolist(), y, n_runs=1, steps=1)


def test_to_keras_and_zoom_reject_bad_arguments():
    nets = primer.init_many(2, (10, 10))
    with pytest.raises(ValueError, match="run must be below n_runs=2, got 2"):
        nets.to_keras(2)
    with pytest.raises(ValueError, match=r"factor must lie in \[0.25, 4\]"):
        primer.zoom(np.zeros((1, 5, 5), np.float32), 10.0)


def test_aligned_change_scores_a_moved_map_as_no_change():
    rng = np.random.default_rng(0)
    old = np.zeros((3, 6, 8))
    old[:, :, :5] = rng.uniform(0, 1, (3, 6, 5))
    for t in range(4):
        moved = np.zeros_like(old)
        moved[..., t:] = old[..., : 8 - t]
        assert np.all(primer.aligned_change(moved, old) < 1e-12)
    other = rng.uniform(0, 1, (3, 6, 8))
    assert np.all(primer.aligned_change(other, old) > 0.05)
    assert primer.aligned_change(old[:, :1, :1], old[:, :1, :1]).tolist() == [0, 0, 0]


def test_aligned_change_agrees_with_a_direct_cosine():
    rng = np.random.default_rng(1)
    new, old = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    cos = (new * old).sum(1) / np.linalg.norm(new, axis=1) / np.linalg.norm(old, axis=1)
    assert np.allclose(primer.aligned_change(new, old, max_move=0), 1 - cos)
    assert np.all(primer.aligned_change(new, old) <= 1 - cos + 1e-12)


def test_aligned_change_rejects_bad_input():
    with pytest.raises(ValueError, match=r"one shape \(N, \.\.\.\)"):
        primer.aligned_change(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="must be NumPy arrays, got list"):
        primer.aligned_change([[1.0]], np.zeros((1, 1)))
    with pytest.raises(ValueError, match="max_move must be at least 0"):
        primer.aligned_change(np.zeros((1, 2)), np.zeros((1, 2)), max_move=-1)
