"""Arithmetic and closed-form answers that the lessons derive in the open first.

- ``conv_output_size``: the spatial size of a convolution's output (lesson 00).
- ``least_squares_kernel``: the filter minimising the squared error of ``tf.nn.conv2d``
  on given inputs and targets, exact, by a direct or an FFT-CG solve (lesson 02).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft as sfft

PADDINGS = ("valid", "same", "full")


def _positive_int(name: str, value: object) -> int:
    # NumPy integers are accepted: shape arithmetic often produces them.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def conv_output_size(
    n: int, k: int, stride: int = 1, padding: str | int = "valid"
) -> int:
    """Spatial output size of a convolution or pooling along one axis, TensorFlow's rule.

    With ``p`` zeros on each side the window fits ``floor((n + 2p - k) / stride) + 1``
    times. ``"valid"`` is ``p = 0``; ``"full"`` (the "wide" convolution) is ``p = k - 1``,
    so that every window overlapping the input counts (``n + k - 1`` at stride 1);
    ``"same"`` zero-pads so that ``ceil(n / stride)`` windows fit, whatever ``k`` is
    (``p = (k - 1) / 2`` for an odd ``k`` at stride 1). Introduced in lesson 00, where it
    is checked against ``tf.nn.conv2d`` output shapes.

    Args:
        n: input size along the axis (pixels), ``n >= 1``.
        k: kernel (or pooling window) size along the axis, ``k >= 1``.
        stride: step between windows, ``stride >= 1``.
        padding: ``"valid"``, ``"same"`` or ``"full"`` (any case), or an int ``p >= 0``,
            the zeros added on each side; the window must fit: ``k <= n + 2p``.

    Returns:
        The output size, an ``int >= 1``.

    Raises:
        TypeError: a size or the padding has the wrong type.
        ValueError: a non-positive size, a negative padding, a window that does not fit,
            or an unknown padding name.

    Example:
        >>> conv_output_size(28, 5), conv_output_size(28, 5, stride=2, padding="SAME")
        (24, 14)
        >>> conv_output_size(28, 3, padding="full"), conv_output_size(28, 5, 2, padding=1)
        (30, 13)
    """
    n = _positive_int("n", n)
    k = _positive_int("k", k)
    stride = _positive_int("stride", stride)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in PADDINGS:
            raise ValueError(
                "padding must be 'valid', 'same', 'full' (any case) or an int, "
                f"got {padding!r}"
            )
        if mode == "same":
            return math.ceil(n / stride)
        p = 0 if mode == "valid" else k - 1
    elif isinstance(padding, bool) or not isinstance(padding, (int, np.integer)):
        raise TypeError(
            f"padding must be a str or an int, got {type(padding).__name__}"
        )
    elif padding < 0:
        raise ValueError(f"padding must be at least 0, got {padding}")
    else:
        p = int(padding)
    if k > n + 2 * p:
        raise ValueError(f"the kernel must fit: k={k} > n + 2p={n + 2 * p}")
    return (n + 2 * p - k) // stride + 1


# --------------------------------------------------------------------------------------
# Lesson 02: the filter that minimises the squared error, in TensorFlow's convention.
# --------------------------------------------------------------------------------------

_LSQ_METHODS = ("auto", "direct", "cg")
#: "auto" uses the direct solve when the explicit patch matrix has at most this many entries
_DIRECT_MAX_ENTRIES = 20_000_000
_DIRECT_MAX_PARAMS = 1024
#: the FFT of the inputs is kept between CG iterations when it fits in this many bytes
_CACHE_BYTES = 256 * 2**20


def _images_nhw(name: str, a: object) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 3:
        raise ValueError(
            f"{name} must have shape (N, H, W) or (N, H, W, 1), got shape {a.shape}"
        )
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains nan or inf")
    return a


def _lsq_geometry(x_shape, y_shape, kernel_shape, padding):
    """Validate shapes; return (kh, kw, pad_top, pad_left, out_h, out_w, out_shape)."""
    if not isinstance(kernel_shape, (tuple, list)) or len(kernel_shape) not in (2, 4):
        raise ValueError(
            f"kernel_shape must be (kh, kw) or (kh, kw, 1, 1), got {kernel_shape!r}"
        )
    kh = _positive_int("kernel_shape[0]", kernel_shape[0])
    kw = _positive_int("kernel_shape[1]", kernel_shape[1])
    if len(kernel_shape) == 4 and tuple(int(c) for c in kernel_shape[2:]) != (1, 1):
        raise ValueError(
            "only one input and one output channel are supported: kernel_shape must end "
            f"in (1, 1), got {tuple(kernel_shape)}"
        )
    if not isinstance(padding, str):
        raise TypeError(f"padding must be a str, got {type(padding).__name__}")
    mode = padding.lower()
    if mode not in ("same", "valid"):  # the solver has no 'full' mode
        raise ValueError(
            f"padding must be 'SAME' or 'VALID' (any case), got {padding!r}"
        )
    n, h, w = x_shape
    if mode == "same":
        pad_top, pad_left, out_h, out_w = (kh - 1) // 2, (kw - 1) // 2, h, w
    else:
        if kh > h or kw > w:
            raise ValueError(
                f"with 'VALID' padding the kernel must fit in the image: kernel {kh}x{kw}, "
                f"images {h}x{w}"
            )
        pad_top, pad_left, out_h, out_w = 0, 0, h - kh + 1, w - kw + 1
    if tuple(y_shape) != (n, out_h, out_w):
        raise ValueError(
            f"y must have shape {(n, out_h, out_w)} (or with a trailing 1) for x of shape "
            f"{tuple(x_shape)}, a {kh}x{kw} kernel and {padding!r} padding; got {tuple(y_shape)}"
        )
    out_shape = (kh, kw) if len(kernel_shape) == 2 else (kh, kw, 1, 1)
    return kh, kw, pad_top, pad_left, out_h, out_w, out_shape


class _CorrelationOperator:
    """A: w -> stack over images of TensorFlow's conv2d(x_n, w), and its adjoint, by FFT.

    Forward, per image: output pixel (i, j) is sum_{u,v} x[i + u - pad_top, j + v - pad_left]
    w[u, v] (x zero outside the image), a linear cross-correlation. The kernel is placed
    in an L x L grid at ((u - pad_top) mod L, (v - pad_left) mod L), so that the circular
    FFT correlation at pixel (i, j) reads exactly those input pixels, provided the lags
    that wrap around only meet zero padding: L >= H + pad_top and
    L >= out_H - pad_top + kh - 1 (and L >= kh, out_H). For SAME that is H + kh // 2
    (384 for 256x256 images and kernels), for VALID just H.
    """

    def __init__(self, x, kh, kw, pad_top, pad_left, out_h, out_w):
        self.x, self.kh, self.kw = x, kh, kw
        self.pad_top, self.pad_left, self.out_h, self.out_w = (
            pad_top,
            pad_left,
            out_h,
            out_w,
        )
        n, h, w = x.shape
        self.shape = (
            sfft.next_fast_len(
                max(h + pad_top, out_h - pad_top + kh - 1, kh, out_h), real=True
            ),
            sfft.next_fast_len(
                max(w + pad_left, out_w - pad_left + kw - 1, kw, out_w), real=True
            ),
        )
        per_image = self.shape[0] * (self.shape[1] // 2 + 1) * 16
        self.chunk = max(1, min(n, (64 * 2**20) // per_image))
        self.cached = None
        if n * per_image <= _CACHE_BYTES:
            self.cached = sfft.rfft2(x, s=self.shape, workers=-1)

    def _spectra(self):
        n = self.x.shape[0]
        for start in range(0, n, self.chunk):
            stop = min(n, start + self.chunk)
            if self.cached is not None:
                yield start, stop, self.cached[start:stop]
            else:
                yield (
                    start,
                    stop,
                    sfft.rfft2(self.x[start:stop], s=self.shape, workers=-1),
                )

    def forward(self, kernel):
        placed = np.zeros(self.shape)
        placed[: self.kh, : self.kw] = kernel
        placed = np.roll(placed, (-self.pad_top, -self.pad_left), axis=(0, 1))
        spectrum = np.conj(sfft.rfft2(placed))
        out = np.empty((self.x.shape[0], self.out_h, self.out_w))
        for start, stop, xf in self._spectra():
            full = sfft.irfft2(xf * spectrum, s=self.shape, workers=-1)
            out[start:stop] = full[:, : self.out_h, : self.out_w]
        return out

    def adjoint(self, residual):
        total = np.zeros((self.shape[0], self.shape[1] // 2 + 1), dtype=np.complex128)
        for start, stop, xf in self._spectra():
            spectrum = sfft.rfft2(residual[start:stop], s=self.shape, workers=-1)
            total += np.sum(xf * np.conj(spectrum), axis=0)
        correlation = sfft.irfft2(total, s=self.shape)
        # the kernel entry (u, v) sits at ((u - pad_top) mod L, (v - pad_left) mod L)
        correlation = np.roll(correlation, (self.pad_top, self.pad_left), axis=(0, 1))
        return correlation[: self.kh, : self.kw]

    def gram(self, kernel):
        return self.adjoint(self.forward(kernel))


def _patch_matrix(x, kh, kw, pad_top, pad_left, out_h, out_w):
    """Rows: kernel entries (u, v); columns: every output pixel of every image."""
    n, h, w = x.shape
    padded = np.zeros(
        (
            n,
            max(h, out_h + kh - 1) + pad_top + kh,
            max(w, out_w + kw - 1) + pad_left + kw,
        )
    )
    padded[:, pad_top : pad_top + h, pad_left : pad_left + w] = x
    rows = np.empty((kh * kw, n * out_h * out_w))
    for u in range(kh):
        for v in range(kw):
            rows[u * kw + v] = padded[:, u : u + out_h, v : v + out_w].ravel()
    return rows


def _solve_direct(x, y, geometry, rcond, ridge=0.0):
    kh, kw, pad_top, pad_left, out_h, out_w, _ = geometry
    patches = _patch_matrix(x, kh, kw, pad_top, pad_left, out_h, out_w)
    # entries whose patch row is all zero never meet data: exactly 0 in the minimum-norm answer
    seen = np.any(patches != 0.0, axis=1)
    gram = patches[seen] @ patches[seen].T
    rhs = patches[seen] @ y.ravel()
    solution = np.zeros(kh * kw)
    rank = 0
    if seen.any():
        values, vectors = np.linalg.eigh(gram)
        keep = values > rcond * max(float(values[-1]), 0.0)
        if ridge > 0:  # (G + ridge I) is invertible: every direction is kept
            keep = np.ones_like(keep)
        rank = int(keep.sum())
        solution[seen] = vectors[:, keep] @ (
            (vectors[:, keep].T @ rhs) / (values[keep] + ridge)
        )
    info = {
        "method": "direct",
        "iterations": 0,
        "rank": rank,
        "relative_residual": _relative(
            gram @ solution[seen] + ridge * solution[seen] - rhs, rhs
        ),
        "converged": True,
    }
    return solution.reshape(kh, kw), info


def _relative(residual, reference):
    scale = float(np.linalg.norm(reference))
    return float(np.linalg.norm(residual)) / scale if scale > 0 else 0.0


def _preconditioner(x, op, pad_top, pad_left, rcond, ridge=0.0):
    """An approximate inverse of the normal matrix G = A^T A, applied by FFT.

    G[a, a + d] = sum over output pixels of x[pixel + a] x[pixel + a + d] is the input's
    autocorrelation r(d), except that with SAME padding each kernel entry a only meets
    the part of the image inside the output window shifted by a. So G is close to
    D^(1/2) T D^(1/2), with T the Toeplitz matrix of r and D the fraction of the input
    energy entry a meets; T is replaced by T. Chan's optimal circulant approximation
    (diagonal in the kernel-grid Fourier basis). Only the speed of CG depends on it.
    """
    kh, kw = op.kh, op.kw
    n, h, w = x.shape
    # every lag of the autocorrelation up to the kernel size, without aliasing
    grid = (
        sfft.next_fast_len(h + kh - 1, real=True),
        sfft.next_fast_len(w + kw - 1, real=True),
    )
    power = np.zeros((grid[0], grid[1] // 2 + 1))
    for start in range(0, n, op.chunk):
        xf = sfft.rfft2(x[start : start + op.chunk], s=grid, workers=-1)
        power += np.sum(xf.real**2 + xf.imag**2, axis=0)
    autocorrelation = sfft.irfft2(power, s=grid)
    circulant = np.zeros((kh, kw))
    for wrap_rows in (0, -kh):
        for wrap_cols in (0, -kw):
            lags_r, lags_c = np.arange(kh) + wrap_rows, np.arange(kw) + wrap_cols
            # lags beyond the image size have zero autocorrelation (and would alias in the FFT)
            weight = np.outer(
                (kh - np.abs(lags_r)) / kh * (np.abs(lags_r) < h),
                (kw - np.abs(lags_c)) / kw * (np.abs(lags_c) < w),
            )
            circulant += (
                weight * autocorrelation[np.ix_(lags_r % grid[0], lags_c % grid[1])]
            )
    eigenvalues = sfft.fft2(circulant).real
    eigenvalues = np.maximum(
        eigenvalues, rcond * eigenvalues.max() if eigenvalues.max() > 0 else 1.0
    )
    eigenvalues = eigenvalues + ridge  # G + ridge I, with D ~ 1 away from the corners
    # diag(G)[u, v]: energy of sum_n x_n^2 inside the output window shifted by (u - pad_top, v - pad_left)
    energy = np.pad(
        np.sum(x**2, axis=0), ((kh + 1, kh + op.out_h), (kw + 1, kw + op.out_w))
    )
    table = energy.cumsum(0).cumsum(1)
    top = np.arange(kh) - pad_top + kh + 1
    left = np.arange(kw) - pad_left + kw + 1
    bottom, right = top + op.out_h, left + op.out_w
    diagonal = (
        table[np.ix_(bottom - 1, right - 1)]
        - table[np.ix_(top - 1, right - 1)]
        - table[np.ix_(bottom - 1, left - 1)]
        + table[np.ix_(top - 1, left - 1)]
    )
    seen = diagonal > 0
    scale = np.zeros((kh, kw))
    r0 = autocorrelation[0, 0]
    scale[seen] = np.sqrt(r0 / diagonal[seen])

    def apply(v):
        return scale * sfft.ifft2(sfft.fft2(scale * v) / eigenvalues).real

    return apply, seen


def _solve_cg(x, y, geometry, rcond, tol, max_iter, precondition, ridge=0.0):
    import warnings

    kh, kw, pad_top, pad_left, out_h, out_w, _ = geometry
    op = _CorrelationOperator(x, kh, kw, pad_top, pad_left, out_h, out_w)
    apply_preconditioner, seen = _preconditioner(x, op, pad_top, pad_left, rcond, ridge)

    def gram(v):
        return op.gram(v) + ridge * v

    if (
        not precondition
    ):  # plain CG: every iterate stays in range(G), hence minimum-norm

        def apply_preconditioner(v):
            return v * seen

    rhs = op.adjoint(y)
    norm_rhs = float(np.linalg.norm(rhs))
    solution = np.zeros((kh, kw))
    info = {
        "method": "cg",
        "iterations": 0,
        "rank": None,
        "relative_residual": 0.0,
        "converged": True,
    }
    if norm_rhs == 0.0:
        return solution, info
    residual = rhs * seen
    z = apply_preconditioner(residual)
    direction = z.copy()
    rz = float(np.vdot(residual, z))
    converged = False
    for iteration in range(1, max_iter + 1):  # noqa: B007 - read after the loop
        product = gram(direction)
        step = rz / float(np.vdot(direction, product))
        solution += step * direction
        residual -= step * product
        relative = float(np.linalg.norm(residual)) / norm_rhs
        if relative <= tol:
            converged = True
            break
        z = apply_preconditioner(residual)
        rz_next = float(np.vdot(residual, z))
        direction = z + (rz_next / rz) * direction
        rz = rz_next
    info.update(
        iterations=iteration,
        converged=converged,
        relative_residual=_relative(gram(solution) - rhs, rhs),
    )
    if not converged:
        warnings.warn(
            f"least_squares_kernel: conjugate gradients stopped after {max_iter} iterations "
            f"at relative residual {relative:.2g} (tol {tol:.2g}); the inputs are badly "
            "conditioned. Raise max_iter, or accept the partly converged filter.",
            RuntimeWarning,
            stacklevel=3,
        )
    return solution, info


def least_squares_kernel(
    x,
    y,
    kernel_shape,
    padding: str = "SAME",
    *,
    method: str = "auto",
    rcond: float = 1e-12,
    tol: float = 1e-12,
    max_iter: int = 2000,
    precondition: bool = True,
    ridge: float = 0.0,
    return_info: bool = False,
):
    """The filter that best maps ``x`` to ``y`` through ``tf.nn.conv2d``, in closed form.

    Returns ``w`` minimising ``sum_n || conv2d(x_n, w, padding) - y_n ||^2`` where
    ``conv2d`` is TensorFlow's (stride 1, one channel), which *cross-correlates* and
    zero-pads. Per image, output pixel ``(i, j)`` is::

        sum_{u < kh, v < kw} x[i + u - pad_top, j + v - pad_left] * w[u, v]

    with ``x`` zero outside the image. ``"SAME"``: output ``H x W``,
    ``pad_top = (kh - 1) // 2``, ``pad_left = (kw - 1) // 2`` (for an even size the
    extra padding row goes below and the extra column right, as in TensorFlow).
    ``"VALID"``: output ``(H - kh + 1) x (W - kw + 1)``, no padding. So ``w[pad_top,
    pad_left]`` is the weight of the pixel under the output pixel. Note the difference
    from ``scipy.signal.convolve2d(x, g, mode="same")``, which flips ``g``
    (convolution) and, for even sizes, centres differently: lesson 02 derives the
    exact translation. Introduced in lesson 02, where it is first written in the open
    as ``numpy.linalg.lstsq`` on the explicit patch matrix.

    The model is linear in ``w``, so the loss is quadratic and its minimisers solve the
    normal equations ``G w = b`` with ``G = A^T A``, ``b = A^T y`` (``A`` maps a filter
    to the stacked outputs). When the data does not determine ``w`` (``G`` singular),
    the minimum-norm minimiser is returned: components of ``w`` along eigenvectors of
    ``G`` with eigenvalue below ``rcond`` times the largest are set to zero.

    Two solvers, same answer:

    - ``"direct"``: builds the patch matrix, ``G`` and ``b`` explicitly and applies the
      pseudo-inverse through ``numpy.linalg.eigh``. Exact minimum-norm solution to
      float64 rounding (relative error about ``cond(G) * 1e-16``); memory and time
      grow as ``(kh*kw)^2`` and ``N*H*W*kh*kw``, so for small problems only.
    - ``"cg"``: preconditioned conjugate gradients on the normal equations, each
      product ``G v`` computed with FFTs (zero-padded so that the circular correlation
      equals the linear one), stopping when ``||G w - b|| <= tol * ||b||``. Practical
      at 256x256 images and kernels. Kernel entries that only ever meet zero padding
      stay exactly 0 (their minimum-norm value). The preconditioner (the inputs' power
      spectrum on the kernel grid) makes CG fast on smooth images but mixes directions,
      so when other directions are exactly undetermined (more unknowns than equations,
      or inputs whose spectrum has exact zeros) it returns *a* minimiser, not the
      minimum-norm one: pass ``precondition=False`` (plain CG from zero, whose iterates
      stay in the range of ``G``: the minimum-norm minimiser, but slow on smooth
      images) or use ``"direct"``.
    - ``"auto"`` (default): ``"direct"`` when ``kh*kw <= 1024`` and the patch matrix has
      at most 2e7 entries, else ``"cg"``.

    Args:
        x: inputs, shape ``(N, H, W)`` or ``(N, H, W, 1)``, real; used as float64.
        y: targets, shape ``(N, Ho, Wo)`` or ``(N, Ho, Wo, 1)``: ``(N, H, W)`` for
            ``"SAME"``, ``(N, H - kh + 1, W - kw + 1)`` for ``"VALID"``.
        kernel_shape: ``(kh, kw)`` or ``(kh, kw, 1, 1)``; the result has this shape.
            With ``"SAME"`` the kernel may be larger than the image.
        padding: ``"SAME"`` or ``"VALID"``, any case.
        method: ``"auto"``, ``"direct"`` or ``"cg"``.
        rcond: relative eigenvalue cut-off for "undetermined" (direct), and the floor
            of the preconditioner's eigenvalues (cg).
        tol: relative residual of the normal equations at which CG stops.
        max_iter: most CG iterations; a ``RuntimeWarning`` says when they run out.
        precondition: use the Fourier preconditioner in CG (see above).
        ridge: ``lambda >= 0`` of ridge (Tikhonov) regularisation: minimise
            ``sum_n ||conv2d(x_n, w) - y_n||^2 + lambda ||w||^2`` instead, i.e. solve
            ``(G + lambda I) w = b``. Lesson 02 chooses ``lambda`` by a stated rule.
        return_info: also return a dict with ``method``, ``iterations``, ``rank``
            (direct only), ``relative_residual`` and ``converged``.

    Returns:
        ``w``, float64 array of shape ``kernel_shape``; or ``(w, info)``.

    Raises:
        ValueError: ``x`` or ``y`` of the wrong rank, ``y``'s shape inconsistent with
            ``x``, the kernel and the padding, a kernel larger than the image with
            ``"VALID"``, nan or inf in the data, an unknown padding or method.
        TypeError: non-numeric arrays, non-integer kernel sizes, a non-str padding.

    Example:
        >>> import scipy.signal
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal((2, 8, 8))
        >>> true = rng.standard_normal((3, 3))
        >>> y = np.stack([scipy.signal.correlate2d(xi, true, mode="same") for xi in x])
        >>> bool(np.allclose(least_squares_kernel(x, y, (3, 3)), true))
        True
    """
    x = _images_nhw("x", x)
    y = _images_nhw("y", y)
    geometry = _lsq_geometry(x.shape, y.shape, kernel_shape, padding)
    if method not in _LSQ_METHODS:
        raise ValueError(f"method must be one of {_LSQ_METHODS}, got {method!r}")
    for name, value in (("rcond", rcond), ("tol", tol)):
        if not (isinstance(value, (int, float, np.floating)) and 0 <= value < 1):
            raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    max_iter = _positive_int("max_iter", max_iter)
    if not (
        isinstance(ridge, (int, float, np.floating))
        and np.isfinite(ridge)
        and ridge >= 0
    ):
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge!r}")
    ridge = float(ridge)
    kh, kw, _, _, out_h, out_w, out_shape = geometry
    if method == "auto":
        small = (
            kh * kw <= _DIRECT_MAX_PARAMS
            and kh * kw * x.shape[0] * out_h * out_w <= _DIRECT_MAX_ENTRIES
        )
        method = "direct" if small else "cg"
    if method == "direct":
        solution, info = _solve_direct(x, y, geometry, rcond, ridge)
    else:
        solution, info = _solve_cg(
            x, y, geometry, rcond, tol, max_iter, bool(precondition), ridge
        )
    solution = solution.reshape(out_shape)
    return (solution, info) if return_info else solution
