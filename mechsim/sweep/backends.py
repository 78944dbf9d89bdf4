"""Executors of sweep cells: in-process, a local process pool, or Ray tasks.

Every backend calls the same :func:`mechsim.sweep.cell.run_cell` on the same task
dicts and hands each record to ``on_result`` in the parent process as soon as it
arrives (completion order); the parent writes it. So results do not depend on the
backend, and the backend only decides where cells run.

On Ctrl-C a backend records the runs that already finished, cancels the pending
ones, stops the running ones and re-raises :class:`KeyboardInterrupt`. When a
cell fails it does the same and raises :class:`CellFailed`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

from mechsim.errors import BackendUnavailableError
from mechsim.sweep.cell import run_cell, worker_init

__all__ = ["BACKENDS", "CellFailed", "execute", "import_ray", "RAY_HINT"]

Task = Mapping[str, Any]
OnResult = Callable[[dict[str, Any]], None]

BACKENDS = ("local", "ray")
RAY_HINT = "pip install 'mechsim[ray]'"


class CellFailed(Exception):
    """A cell run raised; ``task`` is the cell's task, ``error`` the original exception."""

    def __init__(self, task: Task, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.task = task
        self.error = error


def execute(backend: str, tasks: Sequence[Task], *, workers: int, on_result: OnResult) -> None:
    """Run ``tasks`` on ``backend`` and pass each record to ``on_result``."""
    if not tasks:
        return
    if backend == "ray":
        _run_ray(tasks, workers, on_result)
    elif workers <= 1 or len(tasks) == 1:
        _run_serial(tasks, on_result)
    else:
        _run_pool(tasks, workers, on_result)


# -- local ------------------------------------------------------------------------
def _run_serial(tasks: Sequence[Task], on_result: OnResult) -> None:
    for task in tasks:
        try:
            record = run_cell(task)
        except Exception as exc:
            raise CellFailed(task, exc) from exc
        on_result(record)


def _mp_context() -> multiprocessing.context.BaseContext:
    """The interpreter's default start method (``fork`` on Linux up to Python 3.13,
    ``forkserver`` from 3.14, ``spawn`` on macOS and Windows), as any
    ``ProcessPoolExecutor`` program; ``multiprocessing.set_start_method`` changes it.

    ``fork`` needs no ``if __name__ == "__main__":`` guard in a calling script; the
    other two do (the standard multiprocessing rule). A fork server pre-imports the
    cell module and the family modules, so its workers start in milliseconds.
    """
    ctx = multiprocessing.get_context()
    if ctx.get_start_method() == "forkserver":
        from mechsim.core.registry import FAMILY_MODULES

        ctx.set_forkserver_preload(["mechsim.sweep.cell", *FAMILY_MODULES])
    return ctx


def _harvest(futures: Mapping[Future, Task], handled: set[Future], on_result: OnResult) -> None:
    """Record runs that finished while the parent was interrupted (best effort)."""
    for fut in futures:
        if fut in handled or not fut.done() or fut.cancelled() or fut.exception() is not None:
            continue
        handled.add(fut)
        try:
            on_result(fut.result())
        except Exception:
            pass


def _stop_pool(ex: ProcessPoolExecutor, futures: Mapping[Future, Task]) -> None:
    """Cancel pending futures and stop the workers now (their runs are unfinished)."""
    for fut in futures:
        fut.cancel()
    procs = list((getattr(ex, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    ex.shutdown(wait=True, cancel_futures=True)
    for p in procs:
        p.join(timeout=5)


def _run_pool(tasks: Sequence[Task], workers: int, on_result: OnResult) -> None:
    ctx = _mp_context()
    # With fork or spawn the workers' parent is this process; with a fork server, the server.
    parent = os.getpid() if ctx.get_start_method() in ("fork", "spawn") else None
    ex = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=ctx, initializer=worker_init, initargs=(parent,)
    )
    futures: dict[Future, Task] = {}
    handled: set[Future] = set()
    try:
        for task in tasks:
            futures[ex.submit(run_cell, task)] = task
        for fut in as_completed(futures):
            handled.add(fut)
            exc = fut.exception()
            if exc is not None:
                raise CellFailed(futures[fut], exc) from exc
            on_result(fut.result())
    except BaseException:
        _harvest(futures, handled, on_result)
        _stop_pool(ex, futures)
        raise
    ex.shutdown(wait=True)


# -- Ray --------------------------------------------------------------------------
def import_ray() -> Any:
    """``import ray`` or :class:`BackendUnavailableError` with the install hint."""
    try:
        import ray
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the 'ray' sweep backend needs Ray, which is not installed ({exc}). Install it with: {RAY_HINT}"
        ) from None
    return ray


def _ray_error(ray: Any, exc: BaseException) -> BaseException:
    """The user's exception inside a Ray task error, when Ray kept it."""
    if isinstance(exc, ray.exceptions.RayTaskError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            return cause
    return exc


def _run_ray(tasks: Sequence[Task], workers: int, on_result: OnResult) -> None:
    """Ray tasks on the cluster named by ``RAY_ADDRESS``, or on a new local Ray of ``workers`` CPUs.

    An already initialised Ray is used as it is and left running; one started here
    is shut down at the end. Without ``RAY_ADDRESS`` a fresh local instance is started
    (``address="local"``), never an unrelated cluster found on the machine. Ray's
    session files go to ``RAY_TMPDIR`` (Ray's own variable) when it is set.
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or None
        verbose = logging.getLogger("mechsim").isEnabledFor(logging.DEBUG)
        # Ray's own INFO/WARNING lines stay out of the default output (mechsim -v lets them through)
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.INFO if verbose else logging.ERROR}
        if not verbose:
            kwargs["log_to_driver"] = False
        if address is None:
            kwargs.update(address="local", num_cpus=max(1, int(workers)))
        else:
            kwargs["address"] = address
        ray.init(**kwargs)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(run_cell)
        refs = {remote.remote(dict(task)): task for task in tasks}
        pending = list(refs)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        record = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        err = _ray_error(ray, exc)
                        raise CellFailed(refs[ref], err) from err
                    on_result(record)
        except BaseException:
            if pending:
                try:  # record what finished meanwhile, then cancel the rest
                    ready, pending = ray.wait(pending, num_returns=len(pending), timeout=0)
                    for ref in ready:
                        try:
                            on_result(ray.get(ref, timeout=0))
                        except Exception:
                            pass
                finally:
                    for ref in pending:
                        try:
                            ray.cancel(ref, force=True)
                        except Exception:
                            pass
            raise
    finally:
        if started:
            ray.shutdown()
