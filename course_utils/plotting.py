"""Small figures. Every function takes optional axes and returns the figure.

Assign the result (``fig = show_kernels(...)``) so that the notebook shows the
picture once and stores no ``<Figure ...>`` text.

- ``show_kernels``: kernels side by side, diverging colormap centred on zero,
  one shared colour scale and a colorbar (lesson 00).
- ``show_images``: images or feature maps side by side with their values (lesson 00).
- ``filter_grid`` / ``filter_grid_image``: a conv kernel's filters as one grid image,
  per-tensor min-max like the original question or raw values on a fixed scale (lesson 04).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

DIVERGING = "RdBu_r"


def _as_2d_list(
    arrays: Sequence[np.ndarray] | np.ndarray, name: str
) -> list[np.ndarray]:
    if isinstance(arrays, np.ndarray) and arrays.ndim == 2:
        arrays = [arrays]
    result = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if a.ndim == 3 and a.shape[-1] == 1:
            a = a[..., 0]
        if a.ndim != 2:
            raise ValueError(
                f"{name}[{i}] must be 2-D (H, W) or (H, W, 1), got shape {a.shape}"
            )
        result.append(a.astype(np.float64))
    if not result:
        raise ValueError(f"{name} is empty: pass at least one 2-D array")
    return result


def _axes_for(
    count: int, axes: Sequence[Axes] | Axes | None, width: float
) -> tuple[Figure, list[Axes]]:
    if axes is None:
        fig, made = plt.subplots(
            1, count, figsize=(width * count + 0.6, width), squeeze=False
        )
        return fig, list(made[0])
    axes = [axes] if isinstance(axes, Axes) else list(axes)
    if len(axes) != count:
        raise ValueError(f"got {len(axes)} axes for {count} arrays")
    return axes[0].figure, axes


def _annotate(ax: Axes, a: np.ndarray, limit: float, fmt: str) -> None:
    for (r, c), v in np.ndenumerate(a):
        dark = abs(v) > 0.6 * limit
        ax.text(
            c,
            r,
            format(v, fmt),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if dark else "black",
        )


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
    limit = (
        float(vmax)
        if vmax is not None
        else max(float(np.max(np.abs(a))) for a in arrays)
    )
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
                    ax.text(
                        c,
                        r,
                        format(v, fmt),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="black" if v > 0.5 * limit else "white",
                    )
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i])
    return fig


# --- filter grids (lesson 04) -------------------------------------------------

GRID_NORMALIZATIONS = ("tensor", "filter", None)


def filter_grid_image(
    kernels: np.ndarray,
    *,
    normalize: str | None = "tensor",
    pad: int = 1,
    rows: int | None = None,
) -> np.ndarray:
    """Tile the filters of a single-channel conv kernel into one 2-D image.

    A port of the idea of ``put_kernels_on_grid`` (the TensorFlow 1 snippet in the
    question of lesson 04): filter ``i`` goes to grid cell ``(i // cols, i % cols)``,
    each cell surrounded by ``pad`` pixels. With ``normalize="tensor"`` the values are
    mapped to [0, 1] by the min and max of the *whole* tensor, as the original did
    before converting to uint8; lesson 04 shows what that hides.

    Args:
        kernels: array of shape (kh, kw, 1, n) (the Keras/TensorFlow layout of a
            first conv layer) or (kh, kw, n); real, finite values.
        normalize: ``"tensor"`` (one min-max for all filters, the original),
            ``"filter"`` (each filter on its own min-max) or ``None`` (raw values).
            A constant tensor (or filter) has no range and maps to 0.5.
        pad: pixels of padding around each filter, ``pad >= 0``.
        rows: grid rows; default the largest divisor of n not above sqrt(n)
            (32 filters -> 4 x 8, the original's layout). Unused cells are padding.

    Returns:
        float64 array of shape ``(rows * (kh + 2 pad), cols * (kw + 2 pad))`` with
        ``cols = ceil(n / rows)``; padding pixels are ``nan``.

    Raises:
        TypeError: ``kernels`` is not numeric, or ``pad``/``rows`` is not an int.
        ValueError: a wrong shape, more than one input channel, non-finite values,
            an unknown ``normalize``, ``pad < 0`` or ``rows`` outside [1, n].

    Example:
        >>> filter_grid_image(np.zeros((5, 5, 1, 32))).shape
        (28, 56)
    """
    k = np.asarray(kernels)
    if not (
        np.issubdtype(k.dtype, np.number)
        and not np.issubdtype(k.dtype, np.complexfloating)
    ):
        raise TypeError(f"kernels must be a real numeric array, got dtype {k.dtype}")
    if k.ndim == 4:
        if k.shape[2] != 1:
            raise ValueError(
                f"kernels must have one input channel, got shape {k.shape} "
                f"({k.shape[2]} channels); draw one channel with kernels[:, :, c:c + 1, :]"
            )
        k = k[:, :, 0, :]
    if k.ndim != 3 or min(k.shape) < 1:
        raise ValueError(
            f"kernels must have shape (kh, kw, 1, n) or (kh, kw, n), got {np.shape(kernels)}"
        )
    if not np.all(np.isfinite(k)):
        raise ValueError("kernels contain nan or inf")
    if normalize not in GRID_NORMALIZATIONS:
        raise ValueError(
            f"normalize must be 'tensor', 'filter' or None, got {normalize!r}"
        )
    for name, value in (("pad", pad), ("rows", rows)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, np.integer))
        ):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    kh, kw, n = k.shape
    if rows is None:
        rows = max(d for d in range(1, int(np.sqrt(n)) + 1) if n % d == 0)
    if not 1 <= rows <= n:
        raise ValueError(f"rows must be in [1, {n}] for {n} filters, got {rows}")
    cols = -(-n // rows)

    k = k.astype(np.float64)
    if normalize == "tensor":
        low, high = k.min(), k.max()
        k = (k - low) / (high - low) if high > low else np.full_like(k, 0.5)
    elif normalize == "filter":
        low, high = k.min(axis=(0, 1)), k.max(axis=(0, 1))
        span = np.where(high > low, high - low, 1.0)
        k = np.where(high > low, (k - low) / span, 0.5)

    cell_h, cell_w = kh + 2 * pad, kw + 2 * pad
    grid = np.full((rows * cell_h, cols * cell_w), np.nan)
    for i in range(n):
        top, left = (i // cols) * cell_h + pad, (i % cols) * cell_w + pad
        grid[top : top + kh, left : left + kw] = k[:, :, i]
    return grid


def filter_grid(
    kernels: np.ndarray,
    *,
    normalize: str | None = "tensor",
    vmin: float | None = None,
    vmax: float | None = None,
    pad: int = 1,
    rows: int | None = None,
    title: str | None = None,
    colorbar: bool = True,
    ax: Axes | None = None,
    width: float = 4.0,
) -> Figure:
    """Draw the filters of a single-channel conv kernel as one grid image (lesson 04).

    ``normalize="tensor"`` draws them the way the question of lesson 04 did: grey,
    after one min-max normalisation of the whole tensor, so the picture shows only
    where each weight sits between the tensor's min and max. ``normalize=None`` draws
    raw values on a diverging colormap centred on zero; pass the same ``vmin``/``vmax``
    to two grids (before and after, or a difference map) to compare them honestly.

    Args:
        kernels: array of shape (kh, kw, 1, n) or (kh, kw, n).
        normalize: ``"tensor"``, ``"filter"`` or ``None``; see :func:`filter_grid_image`.
        vmin, vmax: colour limits for ``normalize=None``; default ``-m, m`` with ``m``
            the largest |value| (so zero is the colormap's centre).
        pad, rows: the grid layout; see :func:`filter_grid_image`.
        title: axes title.
        colorbar: add a colorbar.
        ax: axes to draw on; default a new figure ``width`` inches wide.
        width: width in inches of a new figure.

    Returns:
        The figure.

    Raises:
        ValueError: as :func:`filter_grid_image`; also ``vmin``/``vmax`` given with a
            normalisation (they apply to raw values only) or ``vmin >= vmax``.
        TypeError: as :func:`filter_grid_image`.

    Example:
        >>> w = np.random.default_rng(0).normal(size=(5, 5, 1, 32))
        >>> fig = filter_grid(w, normalize=None, vmin=-3, vmax=3)   # doctest: +SKIP
    """
    if normalize is not None and (vmin is not None or vmax is not None):
        raise ValueError(
            f"vmin/vmax set the colour limits of raw values: use normalize=None, got normalize={normalize!r}"
        )
    grid = filter_grid_image(kernels, normalize=normalize, pad=pad, rows=rows)
    if normalize is None:
        limit = float(np.nanmax(np.abs(grid))) or 1.0
        low = -limit if vmin is None else float(vmin)
        high = limit if vmax is None else float(vmax)
        if not low < high:
            raise ValueError(f"vmin must be below vmax, got vmin={low}, vmax={high}")
        cmap = plt.get_cmap(DIVERGING).with_extremes(bad="0.85")
    else:
        low, high = 0.0, 1.0
        cmap = plt.get_cmap("gray").with_extremes(
            bad="black"
        )  # black borders, as the original
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(width, width * grid.shape[0] / grid.shape[1] + 0.4)
        )
    else:
        fig = ax.figure
    image = ax.imshow(grid, cmap=cmap, vmin=low, vmax=high)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    if colorbar:
        bar = fig.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label("weight" if normalize is None else f"min-max per {normalize}")
    return fig
