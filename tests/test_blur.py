"""Tests of course_utils.blur (lesson 02's batched trainer and its measurements)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from course_utils import blur
from course_utils.config import import_tensorflow_quietly
from course_utils.kernels import gaussian_kernel

tf = import_tensorflow_quietly()


@pytest.mark.parametrize("k", [3, 4, 7, 8, 12])
def test_conv_fft_matches_tf_conv2d_same(k):
    rng = np.random.default_rng(k)
    x = rng.standard_normal((2, 12, 12))
    w = rng.standard_normal((3, k, k))
    by_fft = blur.conv_fft(tf.constant(x), tf.constant(w)).numpy()
    for r in range(3):
        by_conv = tf.nn.conv2d(x[..., None], w[r][:, :, None, None], 1, "SAME")
        assert np.abs(by_fft[r] - by_conv.numpy()[..., 0]).max() < 1e-12


@pytest.mark.parametrize("k", [5, 6])
def test_tf_equivalent_reproduces_convolve2d_same(k):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 10))
    g = rng.standard_normal((k, k))
    expected = signal.convolve2d(x, g, mode="same")
    w = blur.tf_equivalent(g)
    got = tf.nn.conv2d(x[None, :, :, None], w[:, :, None, None], 1, "SAME")[0, :, :, 0]
    if k % 2:
        assert np.abs(got.numpy() - expected).max() < 1e-12
    else:  # g's last row and column have no place in w: equal without them
        g_cut = g.copy()
        g_cut[-1, :] = 0
        g_cut[:, -1] = 0
        assert (
            np.abs(got.numpy() - signal.convolve2d(x, g_cut, mode="same")).max() < 1e-12
        )


def test_embed_keeps_the_same_convolution():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 16, 16))
    for k in (3, 4, 5):
        small = rng.standard_normal((k, k))
        a = blur.conv_fft(tf.constant(x), tf.constant(small[None])).numpy()
        b = blur.conv_fft(
            tf.constant(x), tf.constant(blur.embed(small, 16)[None])
        ).numpy()
        assert np.abs(a - b).max() < 1e-12


def test_embed_rejects_a_kernel_larger_than_the_grid():
    with pytest.raises(ValueError, match="at most 4x4"):
        blur.embed(np.ones((5, 5)), 4)


def test_band_split_adds_up_and_sees_a_single_frequency():
    target = gaussian_kernel(16, 2.0)
    rng = np.random.default_rng(3)
    w = target + 0.01 * rng.standard_normal((2, 16, 16))
    total, inside, outside = blur.band_split(w, target)
    direct = np.linalg.norm(w - target, axis=(1, 2)) / np.linalg.norm(target)
    assert np.allclose(total, direct) and np.allclose(total**2, inside**2 + outside**2)
    # a Nyquist checkerboard lies entirely out of band
    checker = np.indices((16, 16)).sum(0) % 2 * 2 - 1.0
    _, inside, outside = blur.band_split(target + 1e-3 * checker, target)
    assert inside < 1e-12 < outside


def test_regime_is_the_same_at_quick_and_full_scale():
    rates = np.logspace(-3, -5, 5)
    full = blur.regime(256, 7.0, rates, 4900, 5)
    quick = blur.regime(64, 1.75, rates * 16, 4900, 5)
    assert full.keys() == quick.keys()
    for key in full:
        assert quick[key] == pytest.approx(full[key], rel=1e-3)
    assert full["lr / largest weight"] == pytest.approx(0.308, abs=1e-3)
    assert full["step norm / kernel norm"] == pytest.approx(6.35, abs=0.01)
    assert full["steps"] == 4900


def _sources(size, seed=0):
    return {
        "cartoon": lambda i: np.stack(
            [np.random.default_rng([seed, int(j)]).random((size, size)) for j in i]
        ),
        "white_noise": lambda i: np.stack(
            [
                np.random.default_rng([seed + 1, int(j)]).standard_normal((size, size))
                for j in i
            ]
        ),
    }


def _reference(start, g, source, rates, n_train, batch, seed, optimizer, scale=1.0):
    """Adam (TF1/Keras formula, float64) or SGD written out with NumPy and scipy."""
    w = start.copy()
    m, v = np.zeros_like(w), np.zeros_like(w)
    size = g.shape[0]
    for t, indices in enumerate(blur.schedule(n_train, len(rates), batch, seed), 1):
        lr = rates[(t - 1) // (n_train // batch)] * scale
        x = source(indices)
        y = signal.fftconvolve(x, g[None], mode="same", axes=(1, 2))
        with tf.GradientTape() as tape:
            wt = tf.Variable(w[None])
            loss = tf.reduce_mean(
                (blur.conv_fft(tf.constant(x), wt)[0] - tf.constant(y)) ** 2
            )
        grad = tape.gradient(loss, wt).numpy()[0]
        if optimizer == "sgd":
            w = w - lr * grad
            continue
        m += (grad - m) * 0.1
        v += (grad**2 - v) * 0.001
        alpha = lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        w = w - alpha * m / (np.sqrt(v) + 1e-8)
    assert w.shape == (size, size)
    return w


def test_train_matches_adam_and_sgd_written_out_and_runs_do_not_interact():
    size, g = 8, gaussian_kernel(8, 1.0)
    rng = np.random.default_rng(4)
    start = 0.1 * rng.standard_normal((size, size))
    rates = [0.01, 0.001]
    sources = _sources(size)
    runs = [
        blur.Run("adam", start),
        blur.Run("sgd", start, optimizer="sgd", lr_scale=0.5),
        blur.Run("noise", start, family="white_noise"),
        blur.Run("small", np.zeros((3, 3))),
    ]
    kw = dict(learning_rates=rates, n_train=10, batch=5, seed=7)
    together = blur.train(runs, g, sources, record=[0, 1, 4], **kw)
    alone = blur.train(runs[:1], g, sources, **kw)
    assert np.abs(together.final["adam"] - alone.final["adam"]).max() < 1e-14
    for name, family, opt, scale in [
        ("adam", "cartoon", "adam", 1.0),
        ("sgd", "cartoon", "sgd", 0.5),
        ("noise", "white_noise", "adam", 1.0),
    ]:
        ref = _reference(start, g, sources[family], rates, 10, 5, 7, opt, scale)
        assert np.abs(together.final[name] - ref).max() < 1e-12, name
    assert together.final["small"].shape == (8, 8)  # placed in the large grid
    assert together.snapshots["small"].shape == (3, 8, 8)
    outside = np.ones((8, 8), bool)
    outside[2:5, 2:5] = False  # embed puts a 3x3 kernel at (8 - 1) // 2 - 1 = 2
    assert not together.final["small"][outside].any()
    assert list(together.steps) == [0, 1, 4]
    assert np.array_equal(together.snapshots["adam"][0], start)
    assert np.array_equal(together.snapshots["adam"][-1], together.final["adam"])


@pytest.mark.parametrize(
    "run, message",
    [
        (blur.Run("a", np.zeros((9, 9))), "at most 8x8"),
        (blur.Run("a", np.zeros((3, 3)), family="photos"), "family must be one of"),
        (blur.Run("a", np.zeros((3, 3)), optimizer="rmsprop"), "'adam' or 'sgd'"),
        (blur.Run("a", np.zeros((3, 3)), lr_scale=0.0), "lr_scale must be > 0"),
    ],
)
def test_train_names_a_bad_run(run, message):
    with pytest.raises(ValueError, match=message):
        blur.train(
            [run],
            gaussian_kernel(8, 1.0),
            _sources(8),
            learning_rates=[0.1],
            n_train=5,
            batch=5,
            seed=0,
        )


def test_train_rejects_duplicate_names_and_a_missing_source():
    g = gaussian_kernel(8, 1.0)
    kw = dict(learning_rates=[0.1], n_train=5, batch=5, seed=0)
    with pytest.raises(ValueError, match="unique"):
        blur.train([blur.Run("a", g), blur.Run("a", g)], g, _sources(8), **kw)
    with pytest.raises(ValueError, match="no image source"):
        blur.train([blur.Run("a", g, family="white_noise")], g, {"cartoon": None}, **kw)


def test_largest_curvature_matches_the_hessian_eigenvalue():
    rng = np.random.default_rng(5)
    x = rng.random((2, 6, 6))
    k = 6
    padded = np.pad(x, ((0, 0), (2, 3), (2, 3)))  # SAME, even kernel: 2 before, 3 after
    P = np.stack(
        [padded[:, u : u + 6, v : v + 6].ravel() for u in range(k) for v in range(k)], 1
    )
    hessian = 2 * P.T @ P / P.shape[0]
    expected = np.linalg.eigvalsh(hessian)[-1]
    assert blur.largest_curvature(x, k, iterations=200) == pytest.approx(
        expected, rel=1e-6
    )


def test_disk_needed_says_how_much_before_writing(monkeypatch):
    class Usage:
        free = 10**9

    monkeypatch.setattr(blur.shutil, "disk_usage", lambda where: Usage)
    need, free = blur.disk_needed(100, 64)
    assert need == pytest.approx(100 * 64 * 64 * 8 / 1e9) and free == 1.0
    with pytest.raises(OSError, match=r"needs 2\.57 GB .* 1\.00 GB is free"):
        blur.disk_needed(4900, 256)


def test_table_aligns_names_and_numbers():
    text = blur.table(
        [["a", 0.30787, 4900], ["long name", 6.3524, 12]], ["x", "p", "q"]
    )
    lines = text.splitlines()
    assert lines[0].startswith("x") and len({len(line) for line in lines}) == 1
    assert "0.308" in lines[1] and "4,900" in lines[1] and "6.35" in lines[2]


def test_groups_split_each_family_into_near_equal_groups():
    z = np.zeros((3, 3))
    runs = [blur.Run(f"c{i}", z) for i in range(7)]
    runs.append(blur.Run("n", z, family="white_noise"))
    sizes = [[run.name for run in group] for group in blur._groups(runs, 4)]
    assert sizes == [["c0", "c1", "c2", "c3"], ["c4", "c5", "c6"], ["n"]]


def test_train_in_split_groups_equals_training_each_run_alone(monkeypatch):
    size, g = 8, gaussian_kernel(8, 1.0)
    rng = np.random.default_rng(6)
    starts = 0.1 * rng.standard_normal((3, size, size))
    runs = [blur.Run(f"r{i}", s) for i, s in enumerate(starts)]
    kw = dict(learning_rates=[0.01, 0.001], n_train=10, batch=5, seed=3)
    monkeypatch.setattr(blur, "SPLIT_FROM", 2)  # split even these 8x8 runs
    monkeypatch.setattr(blur, "GROUP_SIZE", 2)  # into groups of 2 and 1, two threads
    together = blur.train(runs, g, _sources(size), record=[2], **kw)
    for run in runs:
        alone = blur.train([run], g, _sources(size), record=[2], **kw)
        assert np.abs(together.final[run.name] - alone.final[run.name]).max() < 1e-14
        assert np.array_equal(together.snapshots[run.name], alone.snapshots[run.name])


def test_train_reraises_a_failing_image_source_without_hanging(monkeypatch):
    size, g = 8, gaussian_kernel(8, 1.0)
    sources = _sources(size)

    def broken(indices):
        if 7 in indices:
            raise OSError("image 7 is unreadable")
        return sources["cartoon"](indices)

    monkeypatch.setattr(blur, "SPLIT_FROM", 2)
    monkeypatch.setattr(blur, "GROUP_SIZE", 1)
    runs = [blur.Run("a", g), blur.Run("b", g)]
    with pytest.raises(OSError, match="image 7"):
        blur.train(
            runs,
            g,
            {"cartoon": broken},
            learning_rates=[0.1, 0.1],
            n_train=10,
            batch=5,
            seed=0,
        )
