"""course_utils.plotting: shared, zero-centred colour scales and clear errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.plotting import show_images, show_kernels  # noqa: E402


def test_show_kernels_uses_one_colour_scale_centred_on_zero():
    fig = show_kernels([np.array([[-1.0, 1.0]]), np.array([[0.5, 2.0]])], ["a", "b"])
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert [im.get_clim() for im in images] == [(-2.0, 2.0), (-2.0, 2.0)]
    assert len(fig.axes) == 3  # two kernels and one colorbar
    assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
    plt.close(fig)


def test_show_kernels_draws_on_given_axes_and_honours_vmax():
    fig, ax = plt.subplots()
    assert show_kernels(np.eye(3), vmax=4.0, axes=ax) is fig
    assert ax.images[0].get_clim() == (-4.0, 4.0)
    assert len(ax.texts) == 9  # small kernels are annotated with their values
    plt.close(fig)


def test_show_images_uses_grey_for_non_negative_and_diverging_for_signed_maps():
    fig = show_images([np.arange(4.0).reshape(2, 2), np.array([[-1.0, 3.0]])])
    grey, signed = fig.axes[0].images[0], fig.axes[1].images[0]
    assert grey.get_cmap().name == "gray" and grey.get_clim() == (0.0, 3.0)
    assert signed.get_cmap().name == "RdBu_r" and signed.get_clim() == (-3.0, 3.0)
    plt.close(fig)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: show_kernels([np.zeros((2, 2, 2))]),
            r"kernels\[0\] must be 2-D \(H, W\) or \(H, W, 1\), got shape \(2, 2, 2\)",
        ),
        (lambda: show_kernels([]), "kernels is empty"),
        (
            lambda: show_kernels([np.zeros((2, 2))], ["a", "b"]),
            "got 2 titles for 1 kernels",
        ),
        (lambda: show_images([np.zeros(3)]), r"images\[0\] must be 2-D"),
    ],
)
def test_plotting_rejects_bad_input_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    plt.close("all")
