"""gearbox on a Dask cluster (``pip install "gearbox[dask]"``)::

    from distributed import Client
    import gearbox.dask
    client = Client(n_workers=2, threads_per_worker=1)
    r = gearbox.dask.run("basel", n=10**12, threads=1)     # bit-identical to gearbox.run
    out = gearbox.dask.run("velocity", latitude=lat, radius=rad, longitude=lon,
                           vlat=vlat, vlon=vlon, vrad=vrad)  # dask arrays, lazily
    b = gearbox.dask.evaluate("sqrt(x**2 + y**2)", x=x, y=y)

A series is cut into the canonical batches gearbox-mpi hands out (2²⁸ terms
each), consecutive batches go to a task each, and the partials are folded in
batch order on the client: the value is gearbox.run's, bit for bit, whatever the
number of workers (all on the same backend). A task whose worker dies is run
again by the scheduler. A grid (or :func:`evaluate`) becomes a lazy dask array
computed block by block along the outer axis, each block a gearbox run of its own.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Dict, List, Optional, Sequence, Union

import dask.array as da
import distributed
import numpy as np

from . import PathLike, Result, _names, _split
from . import evaluate as _evaluate
from . import _cluster

__all__ = ["evaluate", "run"]

INDEX = "abcdefghijklmnop"


def _client(client: Optional[distributed.Client]) -> distributed.Client:
    return client if client is not None else distributed.default_client()


def _gather(client: distributed.Client, futures: List[distributed.Future]) -> List[Any]:
    """The futures' results, waiting in short steps so Ctrl-C is seen at once
    (a long ``gather`` sees it only when a result comes)."""
    while not all(f.done() for f in futures) and not any(f.status == "error" for f in futures):
        time.sleep(0.05)
    return client.gather(futures)


def run(
    workload: str,
    /,
    *,
    client: Optional[distributed.Client] = None,
    backend: str = "rayon",
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
    plugin_dirs: Sequence[PathLike] = (),
    batches_per_task: Optional[int] = None,
    **params: Any,
) -> Union[Result, Dict[str, da.Array]]:
    """Runs ``workload`` on the Dask cluster of ``client`` (default: the current
    client), with :func:`gearbox.run`'s arguments, each worker opening ``backend``
    with ``threads`` (give ``threads=1`` to workers of one thread each).

    A series returns the :class:`gearbox.Result` (``value`` bit for bit
    gearbox.run's; ``seconds`` the whole run as the client saw it; backend and
    device those of the worker that ran the first batches). ``batches_per_task``:
    consecutive batches per task (default: about 8 tasks per worker thread).

    A grid takes all its axes and input fields as dask (or NumPy) arrays and
    returns its outputs by name as dask arrays, computed lazily in blocks of
    outer rows (the inputs' chunks along the outer axis; other axes whole) by
    whichever scheduler computes them (``client`` is for series).
    """
    opts = _cluster.options(backend, threads, adapter, plugin_dirs)
    if _cluster.kind(workload, opts) != "grid":
        c = _client(client)
        slots = sum(c.nthreads().values())
        submit = functools.partial(c.submit, _cluster.series_task)
        return _cluster.series(workload, params, opts, batches_per_task, slots, submit, functools.partial(_gather, c), c.cancel)
    values, arrays = _split(params)
    layout = _cluster.grid(workload, values, [n for n, _ in arrays], opts)
    given = dict(arrays)
    fields = [da.asarray(given[n]) for n in layout.inputs]
    nd = fields[0].ndim if fields else len(layout.axes)
    rows = next((f.chunks[0] for f in fields if f.numblocks[0] > 1), "auto")
    whole = {d: -1 for d in range(1, nd)}
    fields = [f.rechunk({0: rows, **whole}) for f in fields]
    rows = fields[0].chunks[0] if fields else rows
    axes = [da.asarray(given[n]).rechunk(rows if d == 0 else -1) for d, n in enumerate(layout.axes)]
    ind = INDEX[:nd]
    args: List[Any] = []
    for d, a in enumerate(axes):
        args += [a, ind[d]]
    for f in fields:
        args += [f, ind]
    block = functools.partial(_cluster.stacked_block_task, workload, values, layout, opts)
    stacked = da.blockwise(
        block,
        "o" + ind,
        *args,
        new_axes={"o": len(layout.outputs)},
        dtype=np.float64,
        concatenate=True,
        meta=np.empty((0,) * (nd + 1)),
    )
    return {name: stacked[i] for i, name in enumerate(layout.outputs)}


def _formulas_block(ex: Union[str, Dict[str, str]], names: List[str], constants: Dict[str, Any], opts: _cluster.Options, *blocks: np.ndarray) -> np.ndarray:
    """On a worker: ``gearbox.evaluate`` over one block, the outputs stacked."""
    arrays = dict(zip(names, blocks))
    result = _evaluate(ex, **opts._asdict(), **constants, **arrays)
    return np.stack(list(result.values()) if isinstance(result, dict) else [result])


def evaluate(
    ex: Union[str, Dict[str, str]],
    /,
    *,
    backend: str = "rayon",
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
    plugin_dirs: Sequence[PathLike] = (),
    **operands: Any,
) -> Union[da.Array, Dict[str, da.Array]]:
    """:func:`gearbox.evaluate` over dask arrays, lazily, block by block along the
    outer axis (arrays broadcast as in NumPy: ``lat[:, None, None]`` stays an axis
    within each block). Every operand is given by keyword (none is looked up in
    the caller's frame). Returns a dask array, or a dict of them for a dict ``ex``.
    """
    opts = _cluster.options(backend, threads, adapter, plugin_dirs)
    formulas = list(ex.values()) if isinstance(ex, dict) else [ex]
    read = [n for f in formulas if isinstance(f, str) for n in _names(f)]
    missing = [n for n in read if n not in operands]
    if missing:
        raise ValueError(f"unknown name '{missing[0]}': pass it as {missing[0]}=... (gearbox.dask.evaluate looks up no names)")
    constants = {n: v for n, v in operands.items() if np.ndim(v) == 0}
    names = [n for n in operands if n not in constants]
    arrays = [da.asarray(operands[n]) for n in names]
    if not arrays:
        raise ValueError("gearbox.dask.evaluate needs at least one array operand (use gearbox.evaluate)")
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    nd = len(shape)
    # Outer rows as the most finely chunked operand has them; other axes whole.
    outer = max((a.chunks[0] for a in arrays if a.ndim == nd and a.shape[0] > 1), key=len, default=())
    rows = outer if len(outer) > 1 else da.core.normalize_chunks(("auto",) + (-1,) * (nd - 1), shape, dtype=np.float64)[0]
    chunked = []
    for a in arrays:
        lead = nd - a.ndim
        chunked.append(a.rechunk({d: (rows if d + lead == 0 and a.shape[d] > 1 else -1) for d in range(a.ndim)}))
    outputs = list(ex) if isinstance(ex, dict) else ["out"]
    block = functools.partial(_formulas_block, ex, names, constants, opts)
    chunks = ((len(outputs),), rows, *((n,) for n in shape[1:]))
    stacked = da.map_blocks(block, *chunked, new_axis=0, chunks=chunks, dtype=np.float64, meta=np.empty((0,) * (nd + 1)))
    results = {name: stacked[i] for i, name in enumerate(outputs)}
    return results if isinstance(ex, dict) else results["out"]
