"""The one place that touches Flower internals: the task identity of direct ClientApp calls.

Building an instruction :class:`flwr.app.Message` reads ``TaskIdentity.run_id``,
``task_id`` and ``node_id`` (``flwr.supercore.task_identity``, internal in flwr
1.42). Flower's runtimes set them; the in-process driver, which calls the
``ClientApp`` directly, sets them here the way ``run_simulation`` does (specs:
ecosystem.md, Appendix B) and restores the previous values afterwards. If a later
Flower moves the class, only this module changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mechsim.errors import BackendUnavailableError

__all__ = ["require_flower", "task_identity", "SERVER_NODE_ID"]

#: Flower's node id of the server side (``flwr.common.constant.SUPERLINK_NODE_ID``).
SERVER_NODE_ID = 1


def require_flower() -> None:
    """Raise :class:`BackendUnavailableError` when flwr is not installed."""
    try:
        import flwr  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailableError("the collab family needs Flower: pip install 'mechsim[fl]'") from exc


@contextlib.contextmanager
def task_identity(run_id: int = 1, task_id: int = 1) -> Iterator[None]:
    """Set Flower's task identity for direct ClientApp calls; restore it on exit."""
    require_flower()
    from flwr.supercore.task_identity import TaskIdentity

    saved = (TaskIdentity._task_id, TaskIdentity._run_id, TaskIdentity._node_id)
    TaskIdentity.task_id = task_id
    TaskIdentity.run_id = run_id
    TaskIdentity.node_id = SERVER_NODE_ID
    try:
        yield
    finally:
        TaskIdentity._task_id, TaskIdentity._run_id, TaskIdentity._node_id = saved
