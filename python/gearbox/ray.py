"""gearbox on Ray (``pip install "gearbox[ray]"``), on the running Ray instance::

    import ray, gearbox.ray
    ray.init(num_cpus=2)
    r = gearbox.ray.run("basel", n=10**12, threads=1)      # bit-identical to gearbox.run
    out = gearbox.ray.run("velocity", latitude=lat, radius=rad, longitude=lon,
                          vlat=vlat, vlon=vlon, vrad=vrad)   # arrays or ObjectRefs
    vx = np.concatenate(ray.get(out["vx"]))

A series is cut into the canonical batches gearbox-mpi hands out, consecutive
batches go to a Ray task each, and the partials are folded in batch order here:
the value is gearbox.run's, bit for bit, whatever the number of workers. Ray runs
a task again when its worker dies. A grid's arrays go to Ray's object store (once;
ObjectRefs are used as they are) and every task reads them there without a copy;
each block of outer rows is a task, and its outputs are new objects.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import ray

from . import PathLike, Result, _split
from . import _cluster

__all__ = ["run"]


def _rows_task(workload, values, layout, opts, first, end, *arrays):  # type: ignore[no-untyped-def]
    """On a worker: rows first..end of the whole arrays (views of the object store)."""
    blocks = dict(zip(layout.axes + layout.inputs, arrays))
    for name in layout.axes[:1] + layout.inputs:
        blocks[name] = blocks[name][first:end]
    outputs = _cluster.block_task(workload, values, layout, opts, blocks)
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _cancel(refs: List["ray.ObjectRef"]) -> None:
    """Cancels the tasks of `refs`: a running one gets KeyboardInterrupt, which
    stops its backend at the next chunk."""
    for ref in refs:
        ray.cancel(ref)


_series = ray.remote(_cluster.series_task)
_rows = ray.remote(_rows_task)


def run(
    workload: str,
    /,
    *,
    num_cpus: Optional[float] = None,
    backend: str = "rayon",
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
    plugin_dirs: Sequence[PathLike] = (),
    batches_per_task: Optional[int] = None,
    blocks: Optional[int] = None,
    **params: Any,
) -> Union[Result, Dict[str, List["ray.ObjectRef"]]]:
    """Runs ``workload`` over Ray tasks, with :func:`gearbox.run`'s arguments,
    each task opening ``backend`` with ``threads`` on its worker. ``num_cpus``:
    the CPUs each task asks Ray for (default: ``threads``, or 1).

    A series returns the :class:`gearbox.Result` (``value`` bit for bit
    gearbox.run's); ``batches_per_task`` as in :func:`gearbox.dask.run`.

    A grid takes all its axes and input fields, as NumPy arrays or ObjectRefs of
    them, and returns each output by name as a list of ObjectRefs, one per block
    of outer rows in order (``np.concatenate(ray.get(refs))`` is the whole array).
    ``blocks``: the number of blocks (default: twice the cluster's CPUs).
    """
    opts = _cluster.options(backend, threads, adapter, plugin_dirs)
    cpus = num_cpus if num_cpus is not None else (threads or 1)
    if _cluster.kind(workload, opts) != "grid":
        submit = _series.options(num_cpus=cpus).remote
        slots = int(ray.cluster_resources().get("CPU", 1) // cpus)
        return _cluster.series(workload, params, opts, batches_per_task, slots, submit, ray.get, _cancel)
    values, arrays = _split(params)
    given = {n: a if isinstance(a, ray.ObjectRef) else ray.put(np.ascontiguousarray(a, dtype=np.float64)) for n, a in arrays}
    layout = _cluster.grid(workload, values, list(given), opts)
    refs = [given[n] for n in layout.axes + layout.inputs]
    # The outer size, read where the object lies (a zero-copy view here too).
    outer = len(ray.get(refs[0]))
    count = blocks if blocks is not None else 2 * int(ray.cluster_resources().get("CPU", 1))
    n = len(layout.outputs)
    out: Dict[str, List[ray.ObjectRef]] = {name: [] for name in layout.outputs}
    for first, end in _cluster.row_blocks(outer, count):
        task = _rows.options(num_cpus=cpus, num_returns=n).remote(workload, values, layout, opts, first, end, *refs)
        for name, ref in zip(layout.outputs, [task] if n == 1 else task):
            out[name].append(ref)
    return out
