"""course_utils.plotting.filter_grid (lesson 04): layout, the three normalisations, bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.plotting import filter_grid, filter_grid_image  # noqa: E402


def _kernel(seed=0, shape=(5, 5, 1, 32)):
    return np.random.default_rng(seed).normal(size=shape)


def _cell(grid, i, cols, kh=5, kw=5, pad=1):
    """Filter i read back from the grid, with the layout computed independently."""
    r, c = divmod(i, cols)
    top, left = r * (kh + 2 * pad) + pad, c * (kw + 2 * pad) + pad
    return grid[top : top + kh, left : left + kw]


def test_32_filters_make_the_originals_4_by_8_grid_with_nan_padding():
    grid = filter_grid_image(_kernel(), pad=1)
    assert grid.shape == (4 * 7, 8 * 7)
    assert (
        np.isnan(grid).sum() == grid.size - 32 * 25
    )  # everything but the filters is padding
    assert filter_grid_image(_kernel(), pad=0, rows=2).shape == (2 * 5, 16 * 5)


def test_tensor_normalisation_is_one_min_max_over_all_filters():
    k = _kernel(1)
    grid = filter_grid_image(k, normalize="tensor")
    expected = (k - k.min()) / (k.max() - k.min())
    for i in range(32):
        np.testing.assert_allclose(_cell(grid, i, 8), expected[:, :, 0, i])
    assert np.nanmin(grid) == 0.0 and np.nanmax(grid) == 1.0


def test_tensor_normalisation_hides_any_positive_affine_change_of_the_weights():
    # the visualisation trap of lesson 04: 3 w + 7 draws exactly like w
    k = _kernel(2)
    np.testing.assert_allclose(
        filter_grid_image(3 * k + 7), filter_grid_image(k), equal_nan=True
    )


def test_filter_normalisation_stretches_each_filter_to_0_1():
    k = _kernel(3, (3, 3, 1, 6))
    k[..., 0] *= 100.0
    grid = filter_grid_image(k, normalize="filter", rows=2)
    for i in range(6):
        cell = _cell(grid, i, 3, kh=3, kw=3)
        f = k[:, :, 0, i]
        np.testing.assert_allclose(cell, (f - f.min()) / (f.max() - f.min()))
        assert cell.min() == 0.0 and cell.max() == 1.0


def test_no_normalisation_keeps_raw_values_and_3d_input_is_accepted():
    k = _kernel(4)
    grid = filter_grid_image(k[:, :, 0, :], normalize=None, rows=8)
    assert grid.shape == (8 * 7, 4 * 7)
    for i in range(32):
        np.testing.assert_array_equal(_cell(grid, i, 4), k[:, :, 0, i])


def test_constant_tensor_or_filter_maps_to_mid_grey_not_nan():
    k = np.zeros((5, 5, 1, 4))
    k[:, :, 0, 1] = np.arange(25.0).reshape(5, 5)
    tensor = filter_grid_image(np.zeros((5, 5, 1, 4)), normalize="tensor")
    per_filter = filter_grid_image(k, normalize="filter")
    assert np.all(tensor[~np.isnan(tensor)] == 0.5)
    assert (
        np.all(_cell(per_filter, 0, 2) == 0.5) and _cell(per_filter, 1, 2).max() == 1.0
    )


def test_prime_filter_count_fills_a_partial_last_row():
    grid = filter_grid_image(_kernel(5, (2, 2, 1, 7)), pad=0, rows=2)
    assert grid.shape == (4, 8)
    assert np.isnan(grid[2:, 6:]).all()  # the eighth cell is empty


def test_filter_grid_draws_grey_for_tensor_mode_and_centred_diverging_for_raw():
    fig = filter_grid(_kernel(6), title="before")
    image = fig.axes[0].images[0]
    assert image.get_cmap().name.startswith("gray") and image.get_clim() == (0.0, 1.0)
    assert fig.axes[0].get_title() == "before" and len(fig.axes) == 2  # grid + colorbar
    plt.close(fig)
    k = _kernel(7)
    fig = filter_grid(k, normalize=None)
    limit = np.abs(k).max()
    assert fig.axes[0].images[0].get_clim() == pytest.approx((-limit, limit))
    plt.close(fig)


def test_filter_grid_honours_fixed_limits_and_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert (
        filter_grid(
            _kernel(8), normalize=None, vmin=-2, vmax=2, ax=axes[1], colorbar=False
        )
        is fig
    )
    assert axes[1].images[0].get_clim() == (-2.0, 2.0) and not axes[0].images
    plt.close(fig)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: filter_grid_image(np.zeros((5, 5))),
            ValueError,
            r"shape \(kh, kw, 1, n\) or \(kh, kw, n\), got \(5, 5\)",
        ),
        (
            lambda: filter_grid_image(np.zeros((5, 5, 3, 8))),
            ValueError,
            "one input channel, got shape",
        ),
        (
            lambda: filter_grid_image(np.zeros((5, 5, 0))),
            ValueError,
            "got \\(5, 5, 0\\)",
        ),
        (
            lambda: filter_grid_image(np.full((2, 2, 1, 2), np.nan)),
            ValueError,
            "nan or inf",
        ),
        (lambda: filter_grid_image(np.array([["a"]])), TypeError, "real numeric array"),
        (
            lambda: filter_grid_image(np.zeros((2, 2, 4)), normalize="global"),
            ValueError,
            "normalize must be",
        ),
        (
            lambda: filter_grid_image(np.zeros((2, 2, 4)), pad=-1),
            ValueError,
            "pad must be >= 0, got -1",
        ),
        (
            lambda: filter_grid_image(np.zeros((2, 2, 4)), pad=1.5),
            TypeError,
            "pad must be an int, got float",
        ),
        (
            lambda: filter_grid_image(np.zeros((2, 2, 4)), rows=5),
            ValueError,
            r"rows must be in \[1, 4\]",
        ),
        (
            lambda: filter_grid(np.zeros((2, 2, 4)), vmin=-1),
            ValueError,
            "use normalize=None",
        ),
        (
            lambda: filter_grid(np.ones((2, 2, 4)), normalize=None, vmin=1, vmax=1),
            ValueError,
            "vmin must be below vmax",
        ),
    ],
)
def test_filter_grid_rejects_bad_input_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
    plt.close("all")
