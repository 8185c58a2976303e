"""Helpers for the course "What does a conv layer learn?".

Importing this package changes nothing global: no seeding, no print options,
no TensorFlow import. Call :func:`setup` at the top of a lesson to do those
things, once, visibly::

    import course_utils as cu
    cfg = cu.setup()          # prints versions, seed and scale

Modules, one concept each:

- ``course_utils.config``    -- ``setup()``: seeds, scale, quiet TensorFlow start-up
- ``course_utils.analysis``  -- output-size arithmetic and closed-form solvers
- ``course_utils.blur``      -- lesson 02: many blur filters trained in one pass
- ``course_utils.kernels``   -- kernels used by the lessons (Gaussian, ...)
- ``course_utils.data``      -- shipped and generated datasets, checksum-verified
- ``course_utils.edge``      -- lesson 01: many 1x2 kernels trained at once
- ``course_utils.images``    -- generated image families (white noise, cartoons), seeded
- ``course_utils.plotting``  -- small figures: kernels with a centred diverging colormap
- ``course_utils.exercises`` -- auto-checked exercises: ``check``, ``hint``, ``solution``
- ``course_utils.ledger``    -- full-scale figures (``make bench``) quoted in any run's prose
- ``course_utils.primer``    -- lesson 00's batched trainer: many small CNNs as one computation

Two lesson modules import TensorFlow, so the package does not import them; a lesson does
(``from course_utils import rowcol``):

- ``course_utils.rowcol``        -- lesson 03: the question's model, the batched trainer, plots
- ``course_utils.mnist_trainer`` -- lesson 04: the question's MNIST network trained in batches
"""

from course_utils import (
    analysis,
    blur,
    data,
    edge,
    exercises,
    images,
    kernels,
    ledger,
    plotting,
    primer,
)
from course_utils.config import Config, setup

__all__ = [
    "Config",
    "setup",
    "analysis",
    "blur",
    "data",
    "edge",
    "exercises",
    "images",
    "kernels",
    "ledger",
    "plotting",
    "primer",
]
__version__ = "0.1.0"
