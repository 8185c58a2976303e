"""course_utils.edge: the batched 1x2-kernel trainer of lesson 01, against closed forms."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import edge  # noqa: E402


def _stripe():
    image = np.ones((1, 4, 6, 1))
    image[:, :, 2:4, :] = 0.0
    target = np.tile([0.0, -1.0, 0.0, 1.0, 0.0], (1, 4, 1))[..., None]
    return image, target


def test_descend_matches_the_closed_form_for_each_kernel_and_rate():
    image, target = _stripe()
    rng = np.random.default_rng(3)
    w0 = rng.uniform(-1, 1, (4, 2))
    rates = np.array([0.01, 0.03, 0.045, 0.052])
    losses, kernels = edge.descend(w0, image, target, rates, 7)
    assert losses.shape == (7, 4) and kernels.shape == (8, 4, 2)
    hessian = np.array([[24.0, 16.0], [16.0, 24.0]])  # 2 P^T P of the stripe
    w_star = np.array([-1.0, 1.0])
    for r, start, path in zip(rates, w0, kernels.transpose(1, 0, 2)):
        step = np.eye(2) - r * hessian
        expected = [
            w_star + np.linalg.matrix_power(step, t) @ (start - w_star)
            for t in range(8)
        ]
        np.testing.assert_allclose(path, expected, atol=1e-12)


def test_descend_losses_are_the_least_squares_loss_before_each_step():
    image, target = _stripe()
    patches = np.lib.stride_tricks.sliding_window_view(image[0, :, :, 0], (1, 2))
    patches = patches.reshape(-1, 2)
    losses, kernels = edge.descend([[0.3, -0.2], [0.0, 0.0]], image, target, 0.03, 3)
    expected = ((kernels[:-1] @ patches.T - target.reshape(-1)) ** 2).sum(axis=-1)
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    assert losses[0, 1] == 8.0  # the zero kernel misses eight targets of size 1


def test_descend_with_zero_steps_returns_the_start():
    image, target = _stripe()
    losses, kernels = edge.descend([[0.5, 0.25]], image, target, 0.03, 0)
    assert losses.shape == (0, 1)
    np.testing.assert_array_equal(kernels, [[[0.5, 0.25]]])


@pytest.mark.parametrize(
    ("w0", "image_shape", "target_shape", "n_steps", "message"),
    [
        ([0.1, 0.2], (1, 4, 6, 1), (1, 4, 5, 1), 1, "w0 must have shape (R, 2)"),
        ([[0.1, 0.2, 0.3]], (1, 4, 6, 1), (1, 4, 5, 1), 1, "w0 must have shape (R, 2)"),
        ([[0.1, 0.2]], (4, 6), (1, 4, 5, 1), 1, "image must have shape (1, H, W, 1)"),
        (
            [[0.1, 0.2]],
            (1, 4, 6, 1),
            (1, 4, 6, 1),
            1,
            "target must have shape (1, 4, 5, 1)",
        ),
        (
            [[0.1, 0.2]],
            (1, 4, 6, 1),
            (1, 4, 5, 1),
            -1,
            "n_steps must be a whole number",
        ),
        (
            [[0.1, 0.2]],
            (1, 4, 6, 1),
            (1, 4, 5, 1),
            2.5,
            "n_steps must be a whole number",
        ),
    ],
)
def test_descend_rejects_bad_input_naming_what_it_got(
    w0, image_shape, target_shape, n_steps, message
):
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        edge.descend(w0, np.ones(image_shape), np.zeros(target_shape), 0.03, n_steps)


def test_steps_to_tol_finds_the_first_step_or_minus_one():
    errors = np.array([[1.0, 1.0, 0.0], [1e-3, 1.0, 0.0], [1e-7, 1.0, 0.0]])
    assert edge.steps_to_tol(errors).tolist() == [2, -1, 0]
    assert edge.steps_to_tol(errors, tol=1e-2).tolist() == [1, -1, 0]
    with pytest.raises(ValueError, match="errors must be 2-D"):
        edge.steps_to_tol(np.ones(3))


def test_plot_eigen_errors_draws_two_panels_and_checks_shapes():
    t = np.arange(6)
    errors = np.column_stack([0.76**t, 0.2**t])
    fig = edge.plot_eigen_errors(errors, errors, 4 * errors[:-1, 0], 4 * errors[:-1, 0])
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4
    plt.close(fig)
    with pytest.raises(ValueError, match="errors must both have shape"):
        edge.plot_eigen_errors(errors, errors[:-1], t, t)
