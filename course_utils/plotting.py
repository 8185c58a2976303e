"""Small figures. Every function takes optional axes and returns the figure.

Assign the result (``fig = show_kernels(...)``) so that the notebook shows the
picture once and stores no ``<Figure ...>`` text.

- ``show_kernels``: kernels side by side, diverging colormap centred on zero,
  one shared colour scale and a colorbar (lesson 00).
- ``show_images``: images or feature maps side by side with their values (lesson 00).
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

DIVERGING = "RdBu_r"


def _as_2d_list(arrays: Sequence[np.ndarray] | np.ndarray, name: str) -> list[np.ndarray]:
    if isinstance(arrays, np.ndarray) and arrays.ndim == 2:
        arrays = [arrays]
    result = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if a.ndim == 3 and a.shape[-1] == 1:
            a = a[..., 0]
        if a.ndim != 2:
            raise ValueError(f"{name}[{i}] must be 2-D (H, W) or (H, W, 1), got shape {a.shape}")
        result.append(a.astype(np.float64))
    if not result:
        raise ValueError(f"{name} is empty: pass at least one 2-D array")
    return result


def _axes_for(count: int, axes: Sequence[Axes] | Axes | None, width: float) -> tuple[Figure, list[Axes]]:
    if axes is None:
        fig, made = plt.subplots(1, count, figsize=(width * count + 0.6, width), squeeze=False)
        return fig, list(made[0])
    axes = [axes] if isinstance(axes, Axes) else list(axes)
    if len(axes) != count:
        raise ValueError(f"got {len(axes)} axes for {count} arrays")
    return axes[0].figure, axes


def _annotate(ax: Axes, a: np.ndarray, limit: float, fmt: str) -> None:
    for (r, c), v in np.ndenumerate(a):
        dark = abs(v) > 0.6 * limit
        ax.text(c, r, format(v, fmt), ha="center", va="center", fontsize=7,
                color="white" if dark else "black")


def show_kernels(
    kernels: Sequence[np.ndarray] | np.ndarray,
    titles: Sequence[str] | None = None,
    *,
    vmax: float | None = None,
    annotate: bool | None = None,
    axes: Sequence[Axes] | Axes | None = None,
    width: float = 2.0,
) -> Figure:
    """Draw 2-D kernels side by side on one colour scale centred on zero.

    Args:
        kernels: one (H, W) array or a sequence of them ((H, W, 1) is squeezed).
        titles: one title per kernel.
        vmax: the colour limit (the scale is [-vmax, vmax]); default: the largest |value|.
        annotate: write each value in its cell; default: when every kernel has <= 36 cells.
        axes: axes to draw on, one per kernel; default: a new figure.
        width: inches per panel for a new figure.

    Returns:
        The figure.

    Example:
        >>> fig = show_kernels([np.array([[-1.0, 1.0]])], ["[-1, 1]"])   # doctest: +SKIP
    """
    arrays = _as_2d_list(kernels, "kernels")
    if titles is not None and len(titles) != len(arrays):
        raise ValueError(f"got {len(titles)} titles for {len(arrays)} kernels")
    limit = float(vmax) if vmax is not None else max(float(np.max(np.abs(a))) for a in arrays)
    limit = limit or 1.0
    if annotate is None:
        annotate = all(a.size <= 36 for a in arrays)
    fig, axs = _axes_for(len(arrays), axes, width)
    for i, (ax, a) in enumerate(zip(axs, arrays)):
        image = ax.imshow(a, cmap=DIVERGING, vmin=-limit, vmax=limit)
        if annotate:
            _annotate(ax, a, limit, ".2f")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i])
    fig.colorbar(image, ax=axs, shrink=0.8)
    return fig


def show_images(
    images: Sequence[np.ndarray] | np.ndarray,
    titles: Sequence[str] | None = None,
    *,
    annotate: bool | None = None,
    fmt: str = ".0f",
    axes: Sequence[Axes] | Axes | None = None,
    width: float = 2.0,
) -> Figure:
    """Draw images or feature maps side by side, each on its own colour scale.

    Non-negative arrays use a grey scale (black = 0); arrays with negative values
    use the diverging colormap centred on zero, so the sign is visible.

    Args:
        images: one (H, W) array or a sequence of them ((H, W, 1) is squeezed).
        titles: one title per image.
        annotate: write each value in its cell; default: when every image has <= 49 cells.
        fmt: format of the written values.
        axes: axes to draw on, one per image; default: a new figure.
        width: inches per panel for a new figure.

    Returns:
        The figure.
    """
    arrays = _as_2d_list(images, "images")
    if titles is not None and len(titles) != len(arrays):
        raise ValueError(f"got {len(titles)} titles for {len(arrays)} images")
    if annotate is None:
        annotate = all(a.size <= 49 for a in arrays)
    fig, axs = _axes_for(len(arrays), axes, width)
    for i, (ax, a) in enumerate(zip(axs, arrays)):
        limit = float(np.max(np.abs(a))) or 1.0
        signed = bool(a.min() < 0)
        if signed:
            ax.imshow(a, cmap=DIVERGING, vmin=-limit, vmax=limit)
        else:
            ax.imshow(a, cmap="gray", vmin=0, vmax=limit)
        if annotate:
            if signed:
                _annotate(ax, a, limit, fmt)
            else:  # grey scale: dark text on bright cells, bright text on dark ones
                for (r, c), v in np.ndenumerate(a):
                    ax.text(c, r, format(v, fmt), ha="center", va="center", fontsize=7,
                            color="black" if v > 0.5 * limit else "white")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i])
    return fig
