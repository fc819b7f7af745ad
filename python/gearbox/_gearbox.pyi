"""Type stubs of the native module (python/src): use the functions in ``gearbox``."""

from os import PathLike
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

class GearboxError(RuntimeError):
    """A run failed: a backend is unavailable, a plugin reported an error or panicked."""

class Session:
    """Libraries found in ``plugin_dirs``, then GEARBOX_PLUGIN_PATH, then ``bundled``."""

    def __init__(self, plugin_dirs: Sequence[Union[str, PathLike[str]]], bundled: str) -> None: ...
    @property
    def search_dirs(self) -> List[str]: ...
    @property
    def problems(self) -> List[str]: ...
    def backends(self) -> str:
        """Every backend, as a JSON list (docs/JSON.md)."""
    def workloads(self) -> str:
        """Every workload, as a JSON list (docs/JSON.md)."""
    def run(
        self,
        workload: str,
        params: Sequence[Tuple[str, str]],
        arrays: Sequence[Tuple[str, Any]],
        backend: str,
        threads: Optional[int] = None,
        adapter: Optional[str] = None,
        out: Union[None, Sequence[npt.NDArray[np.float64]], Dict[str, npt.NDArray[np.float64]]] = None,
        checksums: bool = True,
        timeout: Optional[float] = None,
    ) -> Tuple[str, List[str], List[npt.NDArray[np.float64]]]:
        """Runs without the GIL: the run's JSON document, output names, outputs
        (the ``out`` arrays, or new ones the run computed into)."""
    def agreement(
        self,
        workload: str,
        params: Sequence[Tuple[str, str]],
        reference: str,
        record: str,
    ) -> str:
        """``record`` against the ``reference`` run (JSON documents as ``run`` returns
        them): the JSON object ``gearbox compare`` adds to a row (``agrees``, …)."""

# Cutting runs into pieces for cluster front ends (gearbox.dask, gearbox.ray).

def series_batches(session: Session, workload: str, params: Sequence[Tuple[str, str]]) -> int:
    """Number of canonical batches of a series (the ones gearbox-mpi hands out)."""

def series_partials(
    session: Session,
    workload: str,
    params: Sequence[Tuple[str, str]],
    first: int,
    end: int,
    backend: str,
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
) -> Tuple[str, List[Tuple[float, float]]]:
    """Sums batches first..end without the GIL: the run's JSON document for these
    batches alone, and each batch's partial sum as (hi, lo)."""

def series_fold(
    session: Session,
    workload: str,
    params: Sequence[Tuple[str, str]],
    partials: Sequence[Tuple[float, float]],
) -> str:
    """Every batch's partial folded in batch order: the result as JSON
    (``{value, exact, error_ulps}``), bit for bit one process's."""

def grid_layout(
    session: Session, workload: str, params: Sequence[Tuple[str, str]]
) -> Tuple[List[int], List[str], List[str], List[str], Optional[Tuple[str, List[int]]]]:
    """A grid's dims, axes, inputs and outputs, and the parameter that sets its
    dims with the dimension each number of its text ("AxBxC") sets."""

def cancel_all() -> None:
    """Cancels every run in progress and any later one (called as the interpreter exits)."""

def running() -> int:
    """The number of runs in progress, from any thread."""

def checksums(names: Sequence[str], arrays: Sequence[npt.NDArray[np.float64]]) -> str:
    """Σx and Σx² of a grid run's output arrays as the run reports them (JSON list)."""
