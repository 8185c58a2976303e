"""course_utils.rowcol (lesson 03's machinery), checked against Keras and hand-made oracles."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest

rowcol = pytest.importorskip("course_utils.rowcol")

PRINTED = np.array(  # the filters the question printed after np.random.seed(48)
    [
        [[0.23327285, -0.06844258], [0.61764306, -0.46921107]],
        [[0.68603402, 0.13425004], [0.39129239, 0.23840684]],
    ]
)


def test_asker_weights_replay_the_printed_filters():
    kernel, dense, bias = rowcol.asker_weights(48)
    assert kernel.shape == (2, 2, 1, 2) and dense.shape == (8, 2) and bias.shape == (2,)
    assert np.max(np.abs(np.moveaxis(kernel[:, :, 0, :], -1, 0) - PRINTED)) < 1e-7
    assert np.all(bias == 0)
    assert not np.allclose(rowcol.asker_weights(47)[0], kernel)


def test_images_are_the_lesson_data_and_fresh_copies():
    x, y, onehot = rowcol.images()
    assert x.shape == (6, 3, 3, 1) and x.dtype == np.float32
    assert set(np.unique(x)) == {0.0, 255.0}
    assert y.tolist() == [0, 0, 0, 1, 1, 1] and onehot.argmax(1).tolist() == y.tolist()
    x[...] = 7
    assert rowcol.images()[0].max() == 255


@pytest.mark.parametrize("filters, padding", [(2, "valid"), (6, "same")])
def test_forward_matches_the_keras_model(filters, padding):
    weights = rowcol.init_weights([[0, 1, 0]], filters, padding)
    model = rowcol.build_model(filters, padding, activation=None)
    model.set_weights([w[0] for w in weights])
    x, _, _ = rowcol.images()
    keras_logits = model.predict(x / 255, verbose=0)
    ours = rowcol.forward(weights, padding, scale=1 / 255)[0]
    assert np.allclose(ours, keras_logits, atol=1e-5)


def test_init_weights_are_per_run_reproducible():
    a = rowcol.init_weights([[0, 2, 0], [0, 2, 1]], 6, "same")
    b = rowcol.init_weights([[0, 2, 1]], 6, "same")
    assert a[0].shape == (2, 2, 2, 1, 6) and a[1].shape == (2, 54, 2)
    assert np.array_equal(a[0][1], b[0][0]) and np.array_equal(a[1][1], b[1][0])
    limit = np.sqrt(6 / (4 + 24))
    assert np.all(np.abs(a[0]) <= limit)


def test_losses_from_logits_known_values():
    import tensorflow as tf

    labels = tf.constant([[1.0, 0.0]])
    logits = tf.constant([[50.0, 0.0]])  # saturated, right
    assert float(rowcol.LOSSES["softmax twice"](labels, logits)[0]) == pytest.approx(
        np.log1p(np.exp(-1.0)), abs=1e-6
    )
    assert float(rowcol.LOSSES["from logits"](labels, logits)[0]) == pytest.approx(0.0)
    wrong = tf.constant([[0.0, 1.0]])
    assert float(rowcol.LOSSES["-log p, clipped"](wrong, logits)[0]) == pytest.approx(
        -np.log(1e-7), rel=1e-4
    )


def test_one_sgd_step_of_train_is_w_minus_lr_grad():
    import tensorflow as tf

    weights = rowcol.init_weights([[3, 0, 0]], 2, "valid")
    x, _, onehot = rowcol.images()
    params = [tf.Variable(w[0]) for w in weights]
    with tf.GradientTape() as tape:
        logits = rowcol._forward(
            [p[None] for p in params],
            rowcol.image_patches(x, "valid"),
            tf.constant([1 / 255], tf.float32),
        )[0]
        loss = tf.reduce_mean(rowcol.from_logits(onehot, logits))
    grads = tape.gradient(loss, params)
    ours, losses, accs = rowcol.train(
        weights,
        "valid",
        loss="from logits",
        scaled=True,
        adam=False,
        lr=0.1,
        n_epochs=1,
    )
    for p, g, o in zip(params, grads, ours):
        assert np.allclose(o[0], p.numpy() - 0.1 * g.numpy(), atol=1e-6)
    assert losses.shape == (1, 1) and losses[0, 0] == pytest.approx(
        float(loss), rel=1e-5
    )
    assert 0 <= accs[0, 0] <= 1


def test_compare_with_fit_agrees_and_moves():
    start = rowcol.asker_weights()
    gaps = rowcol.compare_with_fit(
        start, "valid", "from logits", True, True, n_epochs=3
    )
    assert gaps["loss_gap"] < 1e-4 and gaps["weight_gap"] < 1e-4
    assert gaps["moved"] > 1e-4
    frozen = rowcol.compare_with_fit(
        start, "valid", "softmax twice", False, False, n_epochs=3
    )
    assert frozen["moved"] == 0.0


def test_edge_detectors_on_hand_made_filters():
    a, b = 0.7, -0.3
    vertical = np.array([[a, -a], [b, -b]])
    horizontal = vertical.T
    checker = np.array([[1.0, -1.0], [-1.0, 1.0]])  # blind to rows and columns
    blob = np.array([[1.0, 1.0], [1.0, 1.0]])
    almost = vertical + np.array(
        [[0.02, 0.0], [0.0, 0.0]]
    )  # row sum 2.9% of the largest
    off = vertical + np.array([[0.05, 0.0], [0.0, 0.0]])  # row sum 7% of the largest
    kernels = np.stack([vertical, horizontal, checker, blob, almost, off], axis=-1)
    v, h = rowcol.edge_detectors(kernels[:, :, None, :])
    assert v.tolist() == [True, False, False, False, True, False]
    assert h.tolist() == [False, True, False, False, False, False]
    stacked = np.stack([kernels, kernels])[:, :, :, None, :]  # (runs, 2, 2, 1, F)
    v2, h2 = rowcol.edge_detectors(stacked)
    assert v2.shape == (2, 6) and np.array_equal(v2[1], v)
    zero_v, zero_h = rowcol.edge_detectors(np.zeros((2, 2, 1, 1)))
    assert not zero_v.any() and not zero_h.any()


def test_edge_detectors_are_rare_in_random_starts():
    kernels = rowcol.init_weights([[9, 0, i] for i in range(200)], 6, "same")[0]
    v, h = rowcol.edge_detectors(kernels)
    assert (v.sum() + h.sum()) / v.size < 0.02


def test_relative_change():
    start = np.ones((3, 2, 2))
    end = start.copy()
    end[1] *= 1.5
    change = rowcol.relative_change(start, end)
    assert np.allclose(change, [0.0, 0.5, 0.0])
    assert np.allclose(
        rowcol.relative_change(start, end, np.array([False, True, True])), [0.5, 0]
    )


def test_run_ablation_keys_counts_and_table_width():
    starts = rowcol.init_weights([[0, 2, i] for i in range(3)], 2, "valid")
    ablation = rowcol.run_ablation(starts, "valid", n_epochs=2)
    assert len(ablation) == len(rowcol.LOSSES) * len(rowcol.SWITCHES)
    accs, params = ablation["from logits", True, True, 2]
    assert accs.shape == (2, 3) and params[0].shape == (3, 2, 2, 1, 2)
    counts = rowcol.ablation_counts(ablation, 2)
    assert all(0 <= n <= 3 for n in counts.values())
    out = io.StringIO()
    with redirect_stdout(out):
        rowcol.print_ablation(counts, 3, 2)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + 1 + len(rowcol.LOSSES)
    assert max(len(line) for line in lines) <= 88


def test_gap_curves_limits():
    gap, curves = rowcol.gap_curves()
    wrong_logits = curves["from logits", "wrong"][1]
    assert np.all(wrong_logits[gap >= 5] > 0.99)
    i = int(np.argmin(np.abs(gap - 20)))
    twice = curves["softmax twice", "wrong"][1][i]
    assert twice == pytest.approx(2 / (1 + np.exp(-1)) * np.exp(-20), rel=1e-6)
    assert np.all(curves["-log p, clipped", "wrong"][1][gap > 16.2] == 0)


def test_figures_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gap, curves = rowcol.gap_curves(top=5.0)
    figs = [rowcol.plot_gap_curves(gap, curves)]
    starts = rowcol.init_weights([[0, 0, 0]], 6, "same")[0]
    figs.append(
        rowcol.plot_filters([starts[0], starts[0]], [str(i) for i in range(12)])
    )
    counts = {
        (n, s, a, f): 1
        for n in rowcol.LOSSES
        for s, a in rowcol.SWITCHES
        for f in (2, 6)
    }
    figs.append(rowcol.plot_ablation(counts, counts, 2, "t"))
    figs.append(rowcol.plot_sweep(np.array([1e-3, 1e-2]), np.zeros((1, 2)), ["SGD"]))
    figs.append(rowcol.plot_gap_histograms({"a": np.array([1.0, 20.0])}))
    for fig in figs:
        assert fig.axes
        plt.close(fig)


def test_asker_weights_are_the_same_on_every_call():
    first, second = rowcol.asker_weights(48), rowcol.asker_weights(48)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    first[0][...] = 0  # a copy: the next call is not disturbed
    assert (
        np.max(
            np.abs(
                np.moveaxis(rowcol.asker_weights(48)[0][:, :, 0, :], -1, 0) - PRINTED
            )
        )
        < 1e-7
    )
