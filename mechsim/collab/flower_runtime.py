"""Run the collab protocol under Flower's own simulation runtime (Ray).

Pattern A of ecosystem.md: the SimPy engine runs *inside* the ``ServerApp``'s main,
and every message goes through Flower's grid to ClientApps that Flower runs on Ray
actors. The ClientApp is the same object the in-process driver calls directly.
Starting Ray costs several seconds, and Flower polls for replies every
``pull_interval`` (0.1 s by default), so this backend is for GPU runs and checks
against the in-process driver, not for sweeps.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from mechsim.collab.transport import GridTransport, Transport
from mechsim.errors import BackendUnavailableError

__all__ = ["FlowerSettings", "run_on_flower"]


class FlowerSettings:
    """Runtime options of :func:`run_on_flower` (from the scenario's ``flower_*`` settings).

    client_cpus, client_gpus : resources of one ClientApp (they set how many run at once)
    total_cpus : CPUs Ray may use (``None``: all)
    pull_interval : seconds between the grid's polls for replies (``None``: Flower's 0.1)
    timeout : seconds to wait for one exchange's replies
    """

    def __init__(
        self,
        *,
        client_cpus: float = 1.0,
        client_gpus: float = 0.0,
        total_cpus: int | None = None,
        pull_interval: float | None = None,
        timeout: float = 600.0,
    ) -> None:
        self.client_cpus = client_cpus
        self.client_gpus = client_gpus
        self.total_cpus = total_cpus
        self.pull_interval = pull_interval
        self.timeout = timeout

    def backend_config(self) -> dict[str, Any]:
        init: dict[str, Any] = {"logging_level": "ERROR", "log_to_driver": False}
        if self.total_cpus is not None:
            init["num_cpus"] = self.total_cpus
        return {
            "client_resources": {"num_cpus": self.client_cpus, "num_gpus": self.client_gpus},
            "init_args": init,
        }


def run_on_flower(
    *,
    client_app: Any,
    n_nodes: int,
    settings: FlowerSettings,
    drive: Callable[[Transport], None],
) -> None:
    """Start Flower's simulation runtime with ``n_nodes`` supernodes and call ``drive(transport)`` in its ServerApp.

    ``drive`` runs the SimPy engine with the given :class:`GridTransport`; it
    returns when the simulation is over. Exceptions raised in it propagate.
    """
    for pkg, extra in (("flwr", "fl"), ("ray", "fl")):
        if importlib.util.find_spec(pkg) is None:
            raise BackendUnavailableError(f"backend = 'flower' needs {pkg}: pip install 'mechsim[{extra}]'")
    from flwr.serverapp import ServerApp
    from flwr.simulation import run_simulation

    server = ServerApp()
    errors: list[BaseException] = []

    @server.main()
    def main(grid: Any, context: Any) -> None:
        if settings.pull_interval is not None and hasattr(grid, "pull_interval"):
            grid.pull_interval = settings.pull_interval
        try:
            drive(GridTransport(grid, n_nodes, timeout=settings.timeout))
        except BaseException as exc:  # re-raised in the caller's thread below
            errors.append(exc)
            raise

    try:
        run_simulation(
            server_app=server,
            client_app=client_app,
            num_supernodes=n_nodes,
            backend_config=settings.backend_config(),
        )
    except Exception:
        if errors:
            raise errors[0] from None
        raise
    if errors:
        raise errors[0]
