"""gearbox from Python: run gearbox workloads on its backends, NumPy arrays in and out.

    >>> import gearbox
    >>> r = gearbox.run("basel", n=10**9, backend="rayon", threads=2)
    >>> r.value, r.error_ulps, r.seconds
    >>> vx, vy, vz = gearbox.run("velocity", grid="50x80x30")   # generated inputs
    >>> gearbox.compare("trig", n=10**7)                       # one row per backend

The backend and workload libraries are bundled in the package (``gearbox/plugins``);
``GEARBOX_PLUGIN_PATH`` (like ``PATH``) and ``plugin_dirs=`` add more, searched first.
Runs release the GIL; Ctrl-C raises ``KeyboardInterrupt`` and cancels the run,
``timeout=`` raises ``TimeoutError`` and cancels it, and a run still going on
another thread when the interpreter exits is cancelled rather than holding the
exit up. Errors: ``TypeError`` (unknown parameter, array of the wrong type),
``ValueError`` (bad value or shape, unknown workload or backend), ``GearboxError``
(the run failed).
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _gearbox
from ._gearbox import GearboxError, Session

__all__ = [
    "BackendInfo",
    "Failure",
    "GearboxError",
    "ParamInfo",
    "Phase",
    "Result",
    "WorkloadInfo",
    "backends",
    "compare",
    "evaluate",
    "run",
    "search_dirs",
    "sum",
    "workloads",
]

#: Where the libraries built with the package are.
BUNDLED = Path(__file__).resolve().parent / "plugins"

PathLike = Union[str, "os.PathLike[str]"]
#: A workload parameter: a count, a number or text (e.g. ``n=10**9``, ``grid="50x80x30"``).
ParamValue = Union[int, float, str]

_sessions: Dict[Tuple[str, ...], Session] = {}

# Runs on other threads are cancelled as the interpreter exits, before it waits
# for those threads (threading's own exit hook; plain atexit would come after).
getattr(threading, "_register_atexit", __import__("atexit").register)(_gearbox.cancel_all)


def _session(plugin_dirs: Sequence[PathLike] = ()) -> Session:
    """The session for these directories (and the current GEARBOX_PLUGIN_PATH), made once."""
    # One path is one directory, not a sequence of one-character ones.
    if isinstance(plugin_dirs, (str, os.PathLike)):
        plugin_dirs = [plugin_dirs]
    dirs = [os.fspath(d) for d in plugin_dirs]
    key = (os.environ.get("GEARBOX_PLUGIN_PATH", ""), *dirs)
    if key not in _sessions:
        _sessions[key] = Session(dirs, str(BUNDLED))
    return _sessions[key]


class Phase(NamedTuple):
    """Time spent in one phase of a run (load, read, generate, compute, …)."""

    name: str
    seconds: float


class ParamInfo(NamedTuple):
    """A workload parameter: name, kind (count, integer, float, text), default and help."""

    name: str
    kind: str
    default: ParamValue
    help: str


class WorkloadInfo(NamedTuple):
    """A workload: name, kind (series or grid), what it computes, its library and parameters."""

    name: str
    kind: str
    about: str
    file: str
    params: List[ParamInfo]


class BackendInfo(NamedTuple):
    """A backend: whether it can run here, on what device, or why not."""

    name: str
    available: bool
    device: Optional[str]
    threads: Optional[int]
    file: str
    reason: Optional[str]


class Failure(NamedTuple):
    """A row of :func:`compare` for a backend that is unavailable or failed."""

    backend: str
    error: str


class Result:
    """One finished run.

    Series: ``value``, ``exact`` (``None`` when not known) and ``error_ulps``.
    Grid: the output arrays, by name (``r["vx"]``), by position, or unpacked
    (``vx, vy, vz = r``); they own the memory the run wrote, nothing is copied.
    Both: ``workload``, ``params``, ``backend``, ``device``, ``threads``,
    ``seconds`` (the run on the backend), ``phases`` and :meth:`to_dict`.
    """

    def __init__(self, record: Dict[str, Any], names: List[str], outputs: List[np.ndarray]):
        self._record = record
        self.outputs: Dict[str, np.ndarray] = dict(zip(names, outputs))
        """The output arrays of a grid run, by name (empty for a series)."""

    def to_dict(self) -> Dict[str, Any]:
        """The run as the CLI's ``gearbox run --json`` prints it (docs/JSON.md, schema 1).
        A grid's checksums are computed from the output arrays when first asked for
        (a run computes none it is not asked for)."""
        result = self._record["result"]
        if self.kind == "grid" and not result["checksums"] and self.outputs:
            names = list(self.outputs)
            result["checksums"] = json.loads(_gearbox.checksums(names, [self.outputs[n] for n in names]))
        return copy.deepcopy(self._record)

    @property
    def workload(self) -> str:
        """The workload's name."""
        return self._record["workload"]

    @property
    def kind(self) -> str:
        """"series" or "grid"."""
        return self._record["kind"]

    @property
    def params(self) -> Dict[str, ParamValue]:
        """Every parameter, defaults included."""
        return dict(self._record["params"])

    @property
    def backend(self) -> str:
        """The backend it ran on."""
        return self._record["backend"]

    @property
    def device(self) -> str:
        """The device: CPU threads or the GPU adapter."""
        return self._record["device"]

    @property
    def threads(self) -> Optional[int]:
        """Worker threads of a CPU backend, ``None`` on a GPU."""
        return self._record["threads"]

    @property
    def seconds(self) -> float:
        """Wall time of the run on the backend."""
        return self._record["seconds"]

    @property
    def phases(self) -> List[Phase]:
        """Time per phase; "load" is the time to open the backend (near 0 once open)."""
        return [Phase(p["name"], p["seconds"]) for p in self._record["phases"]]

    @property
    def value(self) -> Optional[float]:
        """A series' sum (``None`` for a grid)."""
        return self._record["result"].get("value")

    @property
    def exact(self) -> Optional[float]:
        """A series' exact partial sum rounded to float, when the workload knows it."""
        return self._record["result"].get("exact")

    @property
    def error_ulps(self) -> Optional[float]:
        """Distance of ``value`` from ``exact`` in units in the last place."""
        return self._record["result"].get("error_ulps")

    @property
    def agrees(self) -> Optional[bool]:
        """For a row of :func:`compare`: within the workload's error bound of the
        serial backend's result (``None`` outside :func:`compare`, or when serial
        did not run)."""
        return self._record.get("agrees")

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.kind != "grid":
            raise TypeError(f"{self.workload} is a series: its result is .value, not arrays")
        return iter(self.outputs.values())

    def __len__(self) -> int:
        return len(self.outputs)

    def __getitem__(self, key: Union[int, str]) -> np.ndarray:
        if isinstance(key, int):
            return list(self.outputs.values())[key]
        return self.outputs[key]

    def __repr__(self) -> str:
        if self.kind == "grid":
            what = f"outputs={list(self.outputs)} shape={self._record['result']['grid']}"
        else:
            what = f"value={self.value!r} exact={self.exact!r} error_ulps={self.error_ulps!r}"
        return (
            f"<gearbox.Result {self.workload} on {self.backend}: {what} "
            f"seconds={self.seconds:.6f}>"
        )


def _split(params: Dict[str, Any]) -> Tuple[List[Tuple[str, str]], List[Tuple[str, Any]]]:
    """Keyword arguments → (parameters as text, arrays)."""
    values, arrays = [], []
    for name, value in params.items():
        if isinstance(value, bool):
            raise TypeError(f"{name} must be a number or text, got a bool")
        if isinstance(value, (int, float, str, np.integer, np.floating)):
            values.append((name, str(value)))
        else:
            arrays.append((name, _as_input(value)))
    return values, arrays


def _as_input(value: Any) -> Any:
    """An input array as the kernels read it: float64 arrays in C order (read-only
    ones included) as they are; other real floats (float32, float16, another byte
    order), Fortran order, strided views and misaligned buffers (a pickled or
    ``frombuffer`` array) converted once, here; anything else unchanged, for the
    native side to refuse by name."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.require(value, np.float64, ["C", "A"])
    return value


def _outputs_dtype(dtype: Any) -> Optional[np.dtype]:
    """``dtype=``: ``None`` or float64 (as computed), or float32 (converted once)."""
    if dtype is None:
        return None
    wanted = np.dtype(dtype)
    if wanted not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise TypeError(f"dtype must be float64 or float32, got {wanted}")
    return None if wanted == np.float64 else wanted


def _check_threads(threads: Optional[int]) -> None:
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool)):
        raise TypeError(f"threads must be an int, got {type(threads).__name__}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")


def run(
    workload: str,
    /,
    *,
    backend: str = "rayon",
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
    plugin_dirs: Sequence[PathLike] = (),
    out: Union[None, Sequence[np.ndarray], Dict[str, np.ndarray]] = None,
    dtype: Any = None,
    timeout: Optional[float] = None,
    **params: Any,
) -> Result:
    """Runs ``workload`` on ``backend`` and returns its :class:`Result`.

    Keyword arguments are the workload's parameters (``gearbox.workloads()`` lists
    them: ``n=10**9`` for a series, ``grid="500x800x300"`` for velocity) and, for a
    grid workload, its axes and input fields as NumPy arrays
    (``latitude=…, radius=…, longitude=…, vlat=…, vlon=…, vrad=…``): all of them,
    or none to have the workload generate them. Without ``grid=``, the grid takes
    the arrays' shape (arrays that disagree are a ``ValueError`` naming them).
    float64 arrays in C order are read in place, read-only ones too; float32 (or
    other float) arrays, Fortran-ordered arrays and strided views are converted to
    float64 in C order once, before the run.

    The outputs are new float64 NumPy arrays the backend computes into directly
    (nothing is copied after the run); ``out=``: arrays of your own to compute into
    instead (float64, C order, the grid's shape; a list in the workload's output
    order, or a dict by name), e.g. the previous run's, to reuse their memory;
    ``dtype=numpy.float32``: float32 outputs (computed in float64, converted once).

    backend: "serial", "rayon" or "wgpu" (or another found); threads: worker threads
    of a CPU backend (default: all cores); adapter: part of a GPU adapter's name;
    plugin_dirs: more directories to search, before GEARBOX_PLUGIN_PATH and the
    bundled ones; timeout: seconds after which the run is cancelled and
    ``TimeoutError`` raised (default: none).
    """
    return _run(workload, backend, threads, adapter, plugin_dirs, out, dtype, timeout, False, params)


def _run(
    workload: str,
    backend: str,
    threads: Optional[int],
    adapter: Optional[str],
    plugin_dirs: Sequence[PathLike],
    out: Union[None, Sequence[np.ndarray], Dict[str, np.ndarray]],
    dtype: Any,
    timeout: Optional[float],
    checksums: bool,
    params: Dict[str, Any],
) -> Result:
    """:func:`run`, computing the grid checksums during the run when ``checksums``."""
    _check_threads(threads)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    narrow = _outputs_dtype(dtype)
    if narrow is not None and out is not None:
        raise TypeError("give out= or dtype=, not both (out= arrays are float64)")
    values, arrays = _split(params)
    targets = out if out is None or isinstance(out, dict) else list(out)
    record, names, outputs = _session(plugin_dirs).run(
        workload, values, arrays, backend, threads, adapter, targets, checksums, timeout
    )
    if narrow is not None:
        outputs = [o.astype(narrow) for o in outputs]
    return Result(json.loads(record), names, outputs)


def sum(  # noqa: A001 - gearbox.sum, as NumPy has numpy.sum
    term: str,
    /,
    *,
    n: int,
    start: int = 1,
    exact: Optional[float] = None,
    backend: str = "rayon",
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
    plugin_dirs: Sequence[PathLike] = (),
    timeout: Optional[float] = None,
    **constants: float,
) -> Result:
    """Σ term(k) for k = start..=n, the term a formula in ``k`` written as for
    NumExpr, with the compensated, thread-count-independent sum of every gearbox
    series, on any backend (the ``series`` workload)::

        gearbox.sum("log(k)/k**p", n=10**9, p=2.5, backend="wgpu")

    Other keyword arguments are the formula's named constants (numbers; on the GPU
    they are uniforms, so a new value compiles nothing). ``exact``: the exact sum,
    if known, reported with the error in ulps. backend, threads, adapter and
    plugin_dirs as for :func:`run`. The language: docs/EXPRESSIONS.md.
    """
    pairs = []
    for name, value in constants.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"constant {name} must be a number, got {type(value).__name__}")
        pairs.append(f"{name}={float(value)!r}")
    params: Dict[str, Any] = {"term": term, "n": n, "from": start, "with": ", ".join(pairs)}
    if exact is not None:
        params["exact"] = repr(float(exact))
    return run(
        "series", backend=backend, threads=threads, adapter=adapter, plugin_dirs=plugin_dirs, timeout=timeout, **params
    )


#: Numbers (skipped) and names (kept unless called) in a formula.
_TOKEN = re.compile(r"(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?|([A-Za-z_]\w*)(\s*\()?")


def _names(formula: str) -> List[str]:
    """The operand names a formula reads (not functions, pi or e), in order."""
    names: List[str] = []
    for m in _TOKEN.finditer(formula):
        name, called = m.group(1), m.group(2)
        if name and not called and name not in ("pi", "e") and name not in names:
            names.append(name)
    return names


def evaluate(
    ex: Union[str, Dict[str, str]],
    /,
    *,
    out: Union[None, np.ndarray, Dict[str, np.ndarray]] = None,
    backend: str = "rayon",
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
    plugin_dirs: Sequence[PathLike] = (),
    timeout: Optional[float] = None,
    **operands: Any,
) -> Union[np.ndarray, Dict[str, np.ndarray]]:
    """Evaluates element-wise formulas written as for NumExpr on any backend::

        b = gearbox.evaluate("sin(twoPi*a)**2 + cos(twoPi*a)**2", a=a, twoPi=2*np.pi)
        v = gearbox.evaluate({"vz": "cos(radians(lat))*vlat + sin(radians(lat))*vrad"},
                             lat=lat[:, None, None], vlat=vlat, vrad=vrad)

    ``ex`` is one formula (an array is returned) or a dict of output name to formula
    (a dict of arrays; outputs share common subexpressions). Operands not given are
    looked up in the caller's frame, as NumExpr does. NumPy broadcasting applies:
    scalars are constants (uniforms on the GPU), arrays of the result's shape are
    read in place (float64, C order; others are converted once), and arrays that
    vary along one dimension only, such as ``lat[:, None, None]``, are axes: what
    depends on them alone is computed once per axis value. Other broadcast shapes
    are expanded to the full shape first. ``out``: an array (or a dict of them, by
    output name) to compute the results into: a float64 C-ordered array of the
    result's shape is written in place, nothing copied; another (float32, strided)
    gets the result copied in once. backend, threads, adapter, plugin_dirs and
    timeout as for :func:`run`. docs/EXPRESSIONS.md describes the language.
    """
    statements = list(ex.items()) if isinstance(ex, dict) else [("out", ex)]
    if not statements:
        raise ValueError("evaluate needs at least one formula")
    caller = sys._getframe(1)
    values: Dict[str, Any] = {}
    for _, formula in statements:
        if not isinstance(formula, str):
            raise TypeError(f"formulas are text, got {type(formula).__name__}")
        for name in _names(formula):
            if name in values:
                continue
            if name in operands:
                values[name] = operands[name]
            elif name in caller.f_locals:
                values[name] = caller.f_locals[name]
            elif name in caller.f_globals:
                values[name] = caller.f_globals[name]
            else:
                raise ValueError(f"unknown name '{name}': pass it as {name}=... or define it where evaluate is called")
    unused = set(operands) - set(values)
    if unused:
        raise TypeError(f"operands not in any formula: {', '.join(sorted(unused))}")
    constants: Dict[str, float] = {}
    arrays: Dict[str, np.ndarray] = {}
    for name, v in values.items():
        if isinstance(v, bool) or isinstance(v, str):
            raise TypeError(f"operand {name} must be a number or an array, got {type(v).__name__}")
        a = np.asarray(v)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"operand {name} must be real numbers, got dtype {a.dtype}")
        if a.ndim == 0:
            constants[name] = float(a)
        else:
            arrays[name] = a
    try:
        shape = tuple(np.broadcast_shapes(*(a.shape for a in arrays.values()))) if arrays else (1,)
    except ValueError:
        listed = ", ".join(f"{n} {a.shape}" for n, a in arrays.items())
        raise ValueError(f"operands do not broadcast to one shape: {listed}") from None
    if not 1 <= len(shape) <= 3 or 0 in shape:
        raise ValueError(f"evaluate works on 1 to 3 dimensions with no empty one; the operands broadcast to {shape}")
    axes: Dict[int, str] = {}
    params: Dict[str, Any] = {}
    for name, a in arrays.items():
        padded = (1,) * (len(shape) - a.ndim) + a.shape
        varying = [d for d, n in enumerate(padded) if n != 1]
        if padded == shape:
            params[name] = np.ascontiguousarray(a.reshape(shape), dtype=np.float64)
        elif not varying:
            constants[name] = float(a.reshape(-1)[0])
        elif len(varying) == 1 and varying[0] not in axes:
            axes[varying[0]] = name
            params[name] = np.ascontiguousarray(a.reshape(-1), dtype=np.float64)
        else:
            params[name] = np.ascontiguousarray(np.broadcast_to(a.reshape(padded), shape), dtype=np.float64)
    if axes:
        for d, n in enumerate(shape):
            if d not in axes:
                params[f"_axis{d}"] = np.zeros(n)
    # A lone formula goes as it is (its errors' columns are the user's own).
    text = ex if isinstance(ex, str) else "; ".join(f"{name} = {formula}" for name, formula in statements)
    given = {} if out is None else out if isinstance(out, dict) else {"out": out}
    unknown = [name for name in given if name not in dict(statements)]
    if unknown:
        raise ValueError(f"out= names {unknown[0]!r}, which is not an output")
    # Computed in place where the target can be written directly, else copied in once.
    direct = {name: _direct_target(given.get(name), shape, params.values()) for name, _ in statements}
    result = run(
        "evaluate",
        backend=backend,
        threads=threads,
        adapter=adapter,
        plugin_dirs=plugin_dirs,
        timeout=timeout,
        out=direct,
        expr=text,
        shape="x".join(map(str, shape)),
        axes=", ".join(f"{n}:{d}" for d, n in sorted(axes.items())),
        **{"with": ", ".join(f"{k}={v!r}" for k, v in constants.items())},
        **params,
    )
    results = {name: result[name] for name, _ in statements}
    for name, target in given.items():
        if target is not results[name]:
            np.copyto(target, results[name])
            results[name] = target
    return results if isinstance(ex, dict) else results["out"]


def _direct_target(target: Optional[np.ndarray], shape: Tuple[int, ...], inputs: Any) -> np.ndarray:
    """``target`` when a run can write it in place (float64, C order, writeable, of
    ``shape``, sharing no memory with the ``inputs``), else a new array for the run."""
    if (
        isinstance(target, np.ndarray)
        and not any(np.may_share_memory(target, a) for a in inputs)
        and target.dtype == np.float64
        and target.shape == tuple(shape)
        and target.flags.c_contiguous
        and target.flags.writeable
        and target.flags.aligned
    ):
        return target
    return np.empty(shape)


def compare(
    workload: str,
    /,
    *,
    threads: Optional[int] = None,
    adapter: Optional[str] = None,
    plugin_dirs: Sequence[PathLike] = (),
    **params: Any,
) -> List[Union[Result, Failure]]:
    """Runs ``workload`` on every backend: one row per backend, a :class:`Result`
    or, for a backend that is unavailable or fails, a :class:`Failure`.
    Arguments as for :func:`run` (serial always uses one thread).

    Each result is checked against serial's within the workload's error bound, as
    ``gearbox compare`` checks it: :attr:`Result.agrees`, and in ``to_dict()`` the
    keys ``gearbox compare --json`` adds to its rows (docs/JSON.md).
    """
    rows: List[Union[Result, Failure]] = []
    for b in backends(plugin_dirs=plugin_dirs):
        if not b.available:
            rows.append(Failure(b.name, b.reason or "unavailable"))
            continue
        try:
            # The checksums, which the cross-check compares, computed during the run.
            threads_b = None if b.name == "serial" else threads
            rows.append(_run(workload, b.name, threads_b, adapter, plugin_dirs, None, None, None, True, params))
        except GearboxError as e:
            rows.append(Failure(b.name, str(e)))
    results = [r for r in rows if isinstance(r, Result)]
    serial = next((r for r in results if r.backend == "serial"), None)
    if serial is not None:
        values, _ = _split(params)
        reference = json.dumps(serial._record)
        for r in results:
            verdict = _session(plugin_dirs).agreement(
                workload, values, reference, json.dumps(r._record)
            )
            r._record.update(json.loads(verdict))
    return rows


def backends(*, plugin_dirs: Sequence[PathLike] = ()) -> List[BackendInfo]:
    """Every backend found, opened once to show its device or why it is unavailable."""
    return [BackendInfo(**b) for b in json.loads(_session(plugin_dirs).backends())]


def workloads(*, plugin_dirs: Sequence[PathLike] = ()) -> List[WorkloadInfo]:
    """Every workload found, with its parameters' kinds, defaults and help."""
    return [
        WorkloadInfo(**{**w, "params": [ParamInfo(**p) for p in w["params"]]})
        for w in json.loads(_session(plugin_dirs).workloads())
    ]


def search_dirs(*, plugin_dirs: Sequence[PathLike] = ()) -> List[str]:
    """The directories searched for libraries, in order."""
    return [str(d) for d in _session(plugin_dirs).search_dirs]
