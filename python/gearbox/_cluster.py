"""What gearbox.dask and gearbox.ray share: a series cut into tasks of consecutive
canonical batches (the ones gearbox-mpi hands out) and folded in batch order, and
a grid cut into blocks of outer rows, each run as its own smaller grid.

Functions named ``*_task`` run on the workers; the others on the client.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from . import PathLike, Result, _check_threads, _session, _split, workloads
from . import run as _run
from ._gearbox import grid_layout, series_batches, series_fold, series_partials

#: Tasks per worker slot a series is cut into by default (``batches_per_task``
#: says otherwise): enough that the last task adds at most an eighth of a slot's
#: share, few enough that the scheduler's cost per task stays small against a
#: task (of one batch at least, 0.2 s of one core for basel).
TASKS_PER_SLOT = 8

Partial = Tuple[float, float]


class Options(NamedTuple):
    """Where each task runs: gearbox.run's backend, threads, adapter, plugin_dirs."""

    backend: str
    threads: Optional[int]
    adapter: Optional[str]
    plugin_dirs: Tuple[str, ...]


def options(backend: str, threads: Optional[int], adapter: Optional[str], plugin_dirs: Sequence[PathLike]) -> Options:
    """Checked options, the directories as text (they travel to the workers)."""
    _check_threads(threads)
    if isinstance(plugin_dirs, (str, bytes)) or hasattr(plugin_dirs, "__fspath__"):
        plugin_dirs = [plugin_dirs]  # type: ignore[list-item]
    return Options(backend, threads, adapter, tuple(str(d) for d in plugin_dirs))


def kind(workload: str, opts: Options) -> Optional[str]:
    """"series" or "grid"; None for a workload not found (the native call names it)."""
    return next((w.kind for w in workloads(plugin_dirs=opts.plugin_dirs) if w.name == workload), None)


# --- series ---------------------------------------------------------------------


def series_tasks(
    workload: str, values: List[Tuple[str, str]], opts: Options, batches_per_task: Optional[int], slots: int
) -> List[Tuple[int, int]]:
    """The batch ranges [first, end) of the tasks, in batch order, for ``slots``
    tasks running at once."""
    if batches_per_task is not None and (not isinstance(batches_per_task, int) or batches_per_task < 1):
        raise ValueError(f"batches_per_task must be a positive int, got {batches_per_task!r}")
    batches = series_batches(_session(opts.plugin_dirs), workload, values)
    per = batches_per_task or max(1, -(-batches // (TASKS_PER_SLOT * max(1, slots))))
    return [(first, min(first + per, batches)) for first in range(0, batches, per)]


def series_task(workload: str, values: List[Tuple[str, str]], first: int, end: int, opts: Options) -> Tuple[str, List[Partial]]:
    """On a worker: batches first..end, their run record and each batch's (hi, lo)."""
    return series_partials(
        _session(opts.plugin_dirs), workload, values, first, end, opts.backend, opts.threads, opts.adapter
    )


def series(
    workload: str,
    params: Dict[str, Any],
    opts: Options,
    batches_per_task: Optional[int],
    slots: int,
    submit: Callable[..., Any],
    gather: Callable[[List[Any]], List[Tuple[str, List[Partial]]]],
    cancel: Callable[[List[Any]], Any],
) -> Result:
    """Runs the series as tasks (``submit(*args)`` runs :func:`series_task` on
    them, ``gather(handles)`` returns their results in submission order; ``slots``
    of them run at once) and folds their partials in batch order. When the wait
    ends early (Ctrl-C, a failed task), ``cancel(handles)`` cancels the others."""
    values, arrays = _split(params)
    if arrays:
        raise TypeError(f"{workload}: unexpected array {arrays[0][0]} (a series takes no arrays)")
    start = time.perf_counter()
    handles = [submit(workload, values, first, end, opts) for first, end in series_tasks(workload, values, opts, batches_per_task, slots)]
    try:
        parts = gather(handles)
    except BaseException:
        cancel(handles)
        raise
    seconds = time.perf_counter() - start
    partials = [p for _, batch in parts for p in batch]
    records = [json.loads(record) for record, _ in parts]
    # The backend, device and threads of the worker that ran the first batches;
    # the time is the whole run's, as the client saw it; phases are summed over tasks.
    record = records[0]
    record["result"] = json.loads(series_fold(_session(opts.plugin_dirs), workload, values, partials))
    record["seconds"] = seconds
    phases: Dict[str, float] = {}
    for r in records:
        for phase in r["phases"]:
            phases[phase["name"]] = phases.get(phase["name"], 0.0) + phase["seconds"]
    record["phases"] = [{"name": n, "seconds": s} for n, s in phases.items()]
    return Result(record, [], [])


# --- grids ----------------------------------------------------------------------


class Grid(NamedTuple):
    """A grid workload's layout, and the parameter that sets its dims."""

    dims: Tuple[int, ...]
    axes: List[str]
    inputs: List[str]
    outputs: List[str]
    #: The parameter that sets the dims, and the dim each number of its text sets.
    sets_dims: str
    order: List[int]


def grid(workload: str, values: List[Tuple[str, str]], given: Sequence[str], opts: Options) -> Grid:
    """The layout, after checking that every axis and input is given (blocks of
    generated inputs would not be the grid's own) and nothing else."""
    dims, axes, inputs, outputs, sets_dims = grid_layout(_session(opts.plugin_dirs), workload, values)
    wanted = list(axes) + list(inputs)
    missing = [n for n in wanted if n not in given]
    extra = [n for n in given if n not in wanted]
    if extra:
        raise TypeError(f"{workload}: unexpected array {extra[0]} (it takes {', '.join(wanted)})")
    if missing:
        raise ValueError(f"{workload}: a distributed grid run needs all its arrays; missing {', '.join(missing)}")
    if sets_dims is None:
        raise ValueError(f"{workload}: no parameter sets its grid's shape, so it cannot be run in blocks")
    return Grid(tuple(dims), list(axes), list(inputs), list(outputs), *sets_dims)


def block_task(
    workload: str,
    values: List[Tuple[str, str]],
    layout: Grid,
    opts: Options,
    blocks: Dict[str, np.ndarray],
) -> List[np.ndarray]:
    """On a worker: the grid run over a block of outer rows (axis 0 and the input
    fields cut to those rows, the other axes whole), its outputs in layout order."""
    first = blocks[layout.inputs[0]] if layout.inputs else None
    shape = first.shape if first is not None else tuple(len(blocks[a]) for a in layout.axes)
    params: Dict[str, Any] = {n: v for n, v in values if n != layout.sets_dims}
    params[layout.sets_dims] = "x".join(str(shape[d]) for d in layout.order)
    result = _run(workload, **opts._asdict(), **params, **blocks)
    return [result[name] for name in layout.outputs]


def stacked_block_task(workload: str, values: List[Tuple[str, str]], layout: Grid, opts: Options, *arrays: np.ndarray) -> np.ndarray:
    """:func:`block_task` with the arrays in layout order (axes, then inputs) and
    the outputs stacked along a new first axis: one array per block for Dask."""
    names = layout.axes + layout.inputs
    return np.stack(block_task(workload, values, layout, opts, dict(zip(names, arrays))))


def row_blocks(outer: int, blocks: int) -> List[Tuple[int, int]]:
    """``outer`` rows cut into at most ``blocks`` ranges of nearly equal size."""
    rows = -(-outer // max(1, min(blocks, outer)))
    return [(a, min(a + rows, outer)) for a in range(0, outer, rows)]
