"""Run the collab protocol under Flower's supported runtime: ``flwr run`` on a local simulation SuperLink.

Flower 1.42 deprecates ``flwr.simulation.run_simulation``; its documented path is
``flwr run <app> <superlink>`` with a local simulation SuperLink. ``backend =
"flower"`` takes that path:

1. the resolved scenario is written to a temporary folder;
2. a local simulation SuperLink is started as a child process on free ports, with
   its own ``FLWR_HOME`` (so it touches no one else's Flower configuration) and
   runtime dependency installation disabled (the app runs in this environment;
   nothing is downloaded);
3. ``flwr run <repository>/flower_app local --stream --run-config
   "scenario=... out=..." --federation-config "num-supernodes=N ..."`` submits
   the app in ``flower_app/`` and waits for it to finish;
4. inside Flower's simulation process the app's ServerApp (:func:`serve`) runs the
   scenario again with the *grid* it is given: the SimPy engine runs in the
   ServerApp's main (pattern A of ecosystem.md) and every message goes through
   Flower's grid to ClientApps (:func:`flower_client_app`) on Ray actors;
5. it writes its tables to ``out``; this process loads them into its recorder and
   stops the SuperLink.

Ray's start, the SuperLink's start and Flower's reply polling (``pull_interval``)
cost seconds, so this backend is for GPU runs and for checks against the in-process
driver, not for sweeps.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mechsim.errors import BackendUnavailableError, MechsimError

__all__ = ["FlowerSettings", "run_on_flower", "app_dir", "serve", "flower_client_app", "flwr_run"]

_ACTIVE: dict[str, Any] = {}


class FlowerSettings:
    """Runtime options of :func:`run_on_flower` (from the scenario's ``flower_*`` settings).

    client_cpus, client_gpus : resources of one ClientApp (they set how many run at once;
        ``flwr run`` takes whole CPUs, so ``client_cpus`` is rounded, at least 1)
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

    def federation_config(self, n_nodes: int) -> str:
        """The ``--federation-config`` of ``flwr run`` (Flower 1.42's simulation settings)."""
        items = [
            f"num-supernodes={int(n_nodes)}",
            # Flower 1.42's federation config holds whole CPUs per ClientApp
            f"client-resources-num-cpus={max(1, round(self.client_cpus))}",
            f"client-resources-num-gpus={float(self.client_gpus)}",
            'init-args-logging-level="ERROR"',
            "init-args-log-to-driver=false",
        ]
        if self.total_cpus is not None:
            items.append(f"init-args-num-cpus={int(self.total_cpus)}")
        return " ".join(items)


def app_dir() -> Path:
    """The Flower app folder (``flower_app/`` next to the ``mechsim`` package in a source checkout)."""
    env = os.environ.get("MECHSIM_FLOWER_APP")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "flower_app"
    if not (path / "pyproject.toml").is_file():
        raise BackendUnavailableError(
            f"backend = 'flower' runs the Flower app in {path}, which is missing; set MECHSIM_FLOWER_APP to the flower_app folder"
        )
    return path


def _require() -> None:
    for pkg in ("flwr", "ray"):
        if importlib.util.find_spec(pkg) is None:
            raise BackendUnavailableError(f"backend = 'flower' needs {pkg}: pip install 'mechsim[fl]'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _local_superlink(home: Path, env: dict[str, str]) -> Iterator[None]:
    """A local simulation SuperLink (the one ``flwr run`` would start) as a child process; stopped on exit."""
    http = _free_port()
    env["FLWR_LOCAL_SUPERLINK_HTTP_API_PORT"] = str(http)
    bindir = Path(sys.executable).parent
    env["PATH"] = str(bindir) + os.pathsep + env.get("PATH", "")  # it starts flower-superexec by name
    log = home / "superlink.log"
    cmd = [
        str(bindir / "flower-superlink"),
        "--insecure",
        "--simulation",
        "--isolation",
        "subprocess",
        "--disable-runtime-dependency-installation",
        "--host",
        "127.0.0.1",
        "--port",
        str(http),
        "--log-file",
        str(log),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        import httpx

        deadline = time.monotonic() + 60.0
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{http}/health", timeout=0.5).is_success:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text()[-2000:] if log.is_file() else ""
                raise MechsimError(f"the local Flower SuperLink did not start (exit {proc.poll()}): {tail}")
            time.sleep(0.2)
        yield
    finally:
        # the SuperLink, its SuperExec and the simulation share the session started above
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


def flwr_run(run_config: dict[str, Any], federation_config: str, *, app: Path | None = None, timeout: float = 3600.0) -> str:
    """Run the Flower app with ``flwr run ... local --stream`` on a private local SuperLink; return its log.

    ``run_config`` values override ``[tool.flwr.app.config]`` of the app's pyproject.
    """
    _require()
    app = app_dir() if app is None else Path(app)
    with tempfile.TemporaryDirectory(prefix="mechsim-flwr-") as tmp:
        home = Path(tmp) / "flwr-home"
        home.mkdir()
        (home / "config.toml").write_text('[superlink]\ndefault = "local"\n\n[superlink.local]\naddress = ":local:"\n')
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.update(
            FLWR_HOME=str(home),
            FLWR_DISABLE_UPDATE_CHECK="1",
            FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION="1",
            RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO="0",
        )
        overrides = " ".join(f"{k}={_toml_value(v)}" for k, v in run_config.items())
        cmd = [
            str(Path(sys.executable).parent / "flwr"),
            "run",
            str(app),
            "local",
            "--stream",
            "--run-config",
            overrides,
            "--federation-config",
            federation_config,
        ]
        with _local_superlink(home, env):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=tmp)
        out = done.stdout + done.stderr
        if done.returncode != 0:
            raise MechsimError(f"flwr run failed (exit {done.returncode}): {out[-3000:]}")
        return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_on_flower(
    *,
    scenario: Any,
    recorder: Any,
    n_nodes: int,
    settings: FlowerSettings,
    drive: Callable[[Any], None],
) -> None:
    """Run ``scenario`` under ``flwr run`` and load its tables into ``recorder`` (see the module docstring).

    Inside the app's ServerApp (where :func:`serve` has set the grid) it instead
    calls ``drive(transport)`` with a :class:`~mechsim.collab.transport.GridTransport`.
    """
    grid = _ACTIVE.get("grid")
    if grid is not None:
        from mechsim.collab.transport import GridTransport

        if settings.pull_interval is not None and hasattr(grid, "pull_interval"):
            grid.pull_interval = settings.pull_interval
        drive(GridTransport(grid, n_nodes, timeout=settings.timeout))
        return
    _require()
    with tempfile.TemporaryDirectory(prefix="mechsim-flower-run-") as tmp:
        path = Path(tmp) / "scenario.toml"
        path.write_text(scenario.to_toml())
        out = Path(tmp) / "tables.pkl"
        log = flwr_run({"scenario": str(path), "out": str(out), "mode": "protocol"}, settings.federation_config(n_nodes))
        if not out.is_file():
            raise MechsimError(f"the Flower app wrote no results; its log ends: {log[-3000:]}")
        tables = pickle.loads(out.read_bytes())
    for name, (schema, columns) in tables.items():
        if name == "equality":
            continue  # derived again by the family's finish
        if name not in recorder._schemas:
            recorder.declare(name, **schema)
        if columns and len(next(iter(columns.values()))):
            recorder.extend(name, **columns)


# -- the two halves of the Flower app (flower_app/) ---------------------------------------


def _dump(tables: dict[str, Any], out: str) -> None:
    data = {n: (dict(t.schema), {c: t[c] for c in t.schema}) for n, t in tables.items()}
    Path(out).write_bytes(pickle.dumps(data))


def serve(grid: Any, context: Any) -> None:
    """The ServerApp main of ``flower_app``: run ``run_config["scenario"]`` with this grid, write ``out``.

    ``mode = "protocol"`` runs mechsim's driver (SimPy, resources, every variant and
    replication) through the grid; ``mode = "strategy"`` runs variant ``label``'s
    mechanism as a :class:`mechsim.collab.flower.MechanismStrategy` with Flower's
    own ``Strategy.start`` loop (replication 0; no simulated time).
    """
    from mechsim.core import load_scenario, run_scenario

    cfg = context.run_config
    scenario = load_scenario(str(cfg["scenario"]))
    mode = str(cfg.get("mode", "protocol"))
    if mode == "protocol":
        _ACTIVE["grid"] = grid
        try:
            results = run_scenario(scenario)
        finally:
            _ACTIVE.pop("grid", None)
        tables = results.tables
    elif mode == "strategy":
        tables = _serve_strategy(grid, scenario, str(cfg.get("label", "")))
    else:
        raise MechsimError(f"run_config 'mode' must be 'protocol' or 'strategy'; got {mode!r}")
    if cfg.get("out"):
        _dump(tables, str(cfg["out"]))


def _serve_strategy(grid: Any, scenario: Any, label: str) -> dict[str, Any]:
    from flwr.app import ArrayRecord

    from mechsim.collab import flower as mf
    from mechsim.collab.world import world
    from mechsim.core.seeding import SeedTree

    variants = scenario["mechanisms"]
    label = label or next(iter(variants))
    cfg = variants[label]
    w = world(mf._scenario_tasks(scenario)["0"])
    s = scenario.settings
    strategy = mf.MechanismStrategy(
        cfg.build(),
        seed=SeedTree(scenario.seed).child("replication", 0).generator("mechanism", label),
        node_order="partition-id",
        min_available_nodes=s["n_agents"],
        server_evaluate=w.learner.evaluate,
        label=label,
    )
    strategy.start(grid=grid, initial_arrays=ArrayRecord(w.init_params()), num_rounds=s["n_rounds"], timeout=s["flower_timeout"])
    return strategy.tables()


def flower_client_app() -> Any:
    """The ClientApp of ``flower_app``: mechsim's nodes of ``run_config["scenario"]`` (built once per process)."""
    from flwr.clientapp import ClientApp

    from mechsim.collab.client import CollabClient

    cache: dict[str, CollabClient] = {}

    def client(context: Any) -> CollabClient:
        path = str(context.run_config["scenario"])
        if path not in cache:
            from mechsim.collab import flower as mf

            cache[path] = CollabClient(mf._scenario_tasks(path), default=str(context.run_config.get("replication", 0)))
        return cache[path]

    app = ClientApp()
    app.train()(lambda msg, ctx: client(ctx).train(msg, ctx))
    app.train("reward")(lambda msg, ctx: client(ctx).reward(msg, ctx))
    app.evaluate()(lambda msg, ctx: client(ctx).evaluate(msg, ctx))
    app.query("identify")(lambda msg, ctx: client(ctx).identify(msg, ctx))
    return app
