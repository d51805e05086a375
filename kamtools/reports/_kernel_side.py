"""Code that runs *inside* a warm report kernel (see :mod:`kamtools.reports.kernels`).

:func:`preload` does the heavy imports once and snapshots the global state a report
may touch; :func:`reset` brings the kernel back to that state between two reports:
a fresh user namespace (IPython's ``reset``, which is ``%reset -f`` plus a new history
session), no open figures, and the matplotlib rcParams, warning filters, working
directory, ``sys.path``, the preloaded entries of ``sys.modules``, numpy error/print settings and pandas options of the snapshot.
Imported modules stay imported: that is the point of a warm kernel.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings

_SNAPSHOT: dict = {}
FULL_GC_EVERY = 20


def preload() -> None:
    """Import what every report imports, then take the snapshot that :func:`reset` restores."""
    import matplotlib
    import numpy as np
    import pandas as pd
    import pyarrow.parquet  # noqa: F401  (the bundle reader)

    import kamtools.bundle  # noqa: F401
    import kamtools.display  # noqa: F401
    import kamtools.sections

    kamtools.sections.preload()
    import matplotlib.pyplot  # noqa: F401

    _SNAPSHOT.update(
        rc=matplotlib.rcParams.copy(),
        filters=list(warnings.filters),
        cwd=os.getcwd(),
        path=list(sys.path),
        np_err=np.geterr(),
        np_print=np.get_printoptions(),
        modules=dict(sys.modules),
    )
    del pd


def reset() -> None:
    """Forget the previous report: user namespace, figures and global settings."""
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from IPython import get_ipython

    if not _SNAPSHOT:
        raise RuntimeError("kamtools warm kernel: reset() before preload()")
    ip = get_ipython()
    if ip is not None:
        # IPython's reset ends with a full gc.collect() (~0.2-0.5 s with pandas and
        # matplotlib loaded); skip it here and collect fully every FULL_GC_EVERY resets.
        collect = gc.collect
        gc.collect = lambda *args, **kwargs: 0
        try:
            ip.reset(new_session=True)
        finally:
            gc.collect = collect
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_SNAPSHOT["rc"])
        pd.reset_option("all")
    warnings.filters[:] = _SNAPSHOT["filters"]
    warnings._filters_mutated()  # invalidate the per-module "already warned" caches
    os.chdir(_SNAPSHOT["cwd"])
    sys.path[:] = _SNAPSHOT["path"]
    # A report that replaced a preloaded module (sys.modules[name] = fake) gets it back,
    # and kamtools modules that appeared since the snapshot are forgotten. Other modules
    # imported later stay (dropping third-party modules could duplicate their objects).
    for name, module in _SNAPSHOT["modules"].items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
    for name in [n for n in sys.modules if n.startswith("kamtools") and n not in _SNAPSHOT["modules"]]:
        del sys.modules[name]
    np.seterr(**_SNAPSHOT["np_err"])
    np.set_printoptions(**_SNAPSHOT["np_print"])
    _SNAPSHOT["resets"] = _SNAPSHOT.get("resets", 0) + 1
    gc.collect(2 if _SNAPSHOT["resets"] % FULL_GC_EVERY == 0 else 1)
