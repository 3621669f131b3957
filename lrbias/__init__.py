"""lrbias: theory checks for large-learning-rate implicit biases of gradient descent on ℓ(xy)."""

from lrbias.errors import LrbiasError
from lrbias.losses.families import Family, builtin_specs, get_family

__version__ = "0.1.0"

__all__ = ["Family", "LrbiasError", "__version__", "builtin_specs", "get_family"]
