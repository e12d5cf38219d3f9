"""scipy's compiled kernels the handcrafting calls, without the import cost of their packages.

The estimated system calls three of scipy's compiled routines thousands of times: the SLSQP core
(`scipy.optimize`), the Euclidean condensed distances (`scipy.spatial`) and complete-linkage
clustering (`scipy.cluster`). Importing those packages costs about 0.9 s of a run whose goal is
2 s, almost all of it in modules the routines never use (linear programming, Voronoi, k-means).
Each routine lives in its own extension module that needs only numpy, so it is loaded straight
from scipy's folder; if that fails (another scipy layout), the package import is used instead.
Either way it is the same compiled code: `tests/systems/test_estimation.py` compares the results
with `scipy.optimize.minimize`, `scipy.spatial.distance.pdist` and `scipy.cluster.hierarchy`.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

from syscore.exceptions import SysprodError

COMPLETE_LINKAGE = 1  # scipy.cluster.hierarchy's code for method="complete"


def _extension(dotted: str) -> ModuleType:
    """The extension module `dotted` (e.g. scipy.optimize._slsqplib), loaded from its file so
    that its package's __init__ does not run; the ordinary import if that is not possible."""
    if dotted in sys.modules:
        return sys.modules[dotted]
    try:
        root = importlib.util.find_spec("scipy")
        folder = Path(next(iter(root.submodule_search_locations)), *dotted.split(".")[1:-1])
        name = dotted.rsplit(".", 1)[1]
        path = next(p for p in folder.iterdir() if p.name.startswith(name + ".") and
                    p.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)))
        loader = importlib.machinery.ExtensionFileLoader(dotted, str(path))
        spec = importlib.util.spec_from_file_location(dotted, str(path), loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except Exception:  # noqa: BLE001 - any other layout: the package import gives the same module
        return importlib.import_module(dotted)
    sys.modules[dotted] = module
    return module


@cache
def slsqp_core():  # noqa: ANN201 - scipy's compiled SLSQP step
    """The routine `scipy.optimize.minimize(method="SLSQP")` calls at every step (its C version,
    scipy >= 1.17 as pinned in pyproject.toml; the tests check it against `minimize`)."""
    try:
        return _extension("scipy.optimize._slsqplib").slsqp
    except (ImportError, AttributeError) as error:
        import scipy

        raise SysprodError(
            f"parameter estimation needs scipy's C SLSQP routine (scipy >= 1.17, found {scipy.__version__}): "
            "pip install -U 'scipy>=1.17'"
        ) from error


def complete_linkage(points: np.ndarray) -> np.ndarray:
    """`scipy.cluster.hierarchy.linkage(pdist(points), method="complete")`: the same compiled
    distance and nearest-neighbour-chain routines; ValueError for non-finite distances, as
    `linkage` raises."""
    distances = _extension("scipy.spatial._distance_pybind").pdist_euclidean(
        np.ascontiguousarray(points, dtype=np.float64)
    )
    if not np.all(np.isfinite(distances)):
        raise ValueError("The condensed distance matrix must contain only finite values.")
    return _extension("scipy.cluster._hierarchy").nn_chain(distances, len(points), COMPLETE_LINKAGE)
