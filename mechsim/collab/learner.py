"""The torch kernel of a learner: local SGD steps on a chunk, and evaluation.

One :class:`TorchLearner` per process holds one module and loads parameters into it
for every call, so a client is stateless apart from the parameters it keeps in its
Flower ``Context.state``. Randomness (minibatch draws) comes only from the seed
passed with each call; the module's initial weights come from
:meth:`TorchLearner.init_params`, which seeds torch inside ``torch.random.fork_rng``
so the global torch generator is restored afterwards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from mechsim.collab.data import DataInfo
from mechsim.errors import BackendUnavailableError

__all__ = ["resolve_device", "TorchLearner", "flatten", "unflatten"]


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is in the 'learn' extra
        raise BackendUnavailableError("the collab family needs torch: pip install 'mechsim[learn]'") from exc
    return torch


def resolve_device(device: str) -> str:
    """``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available) to a torch device string.

    Raises :class:`BackendUnavailableError` when ``"cuda"`` is asked for and no CUDA
    device exists.
    """
    torch = _torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailableError("device = 'cuda' was asked for, but torch sees no CUDA device (use 'cpu' or 'auto')")
    return device


def flatten(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate per-layer arrays into one float64 vector."""
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def unflatten(vector: np.ndarray, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """Split a flat vector into float32 arrays of the given shapes."""
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(np.asarray(vector[start : start + size], dtype=np.float32).reshape(shape))
        start += size
    return out


@contextlib.contextmanager
def _session(device: str, threads: int | None) -> Iterator[None]:
    """Torch settings of a learner call, restored on exit.

    ``threads`` intra-op CPU threads (tiny models run many times faster on one
    thread than on a pool that competes for the cores); deterministic CUDA kernels
    on a CUDA device.
    """
    torch = _torch()
    saved_threads = torch.get_num_threads()
    if threads is not None and threads != saved_threads:
        torch.set_num_threads(threads)
    cuda = device.startswith("cuda")
    if cuda:
        before = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        if torch.get_num_threads() != saved_threads:
            torch.set_num_threads(saved_threads)
        if cuda:
            torch.use_deterministic_algorithms(before[0])
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[1], before[2]


class TorchLearner:
    """Local training and evaluation of one model architecture.

    Parameters
    ----------
    model : ModelSpec
        The architecture component (``collab/logreg-v1`` ...).
    info : DataInfo
    lr : float
        SGD step size of the local steps.
    local_steps : int
        ``E``, SGD steps per round, each on a minibatch of the node's new chunk.
    batch_size : int
        Minibatch size (the whole chunk when it is smaller).
    device : str
        A resolved torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
    threads : int or None, default 1
        Intra-op CPU threads during a call (restored afterwards); ``None`` leaves
        torch's setting alone.
    """

    def __init__(
        self,
        model: Any,
        info: DataInfo,
        *,
        lr: float,
        local_steps: int,
        batch_size: int,
        device: str = "cpu",
        threads: int | None = 1,
    ) -> None:
        self.model = model
        self.info = info
        self.lr = lr
        self.local_steps = local_steps
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self._module: Any = None
        self._val: tuple[Any, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_module"], state["_val"] = None, None
        return state

    # -- setup ------------------------------------------------------------------------

    def _setup(self) -> Any:
        if self._module is None:
            torch = _torch()
            if self.device.startswith("cuda"):
                os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)  # the weights are overwritten before every use
                module = self.model.build(self.info)
            self._module = module.to(self.device)
            self._params = list(self._module.parameters())
        return self._module

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the parameter tensors, in ``module.parameters()`` order."""
        self._setup()
        return [tuple(p.shape) for p in self._params]

    def init_params(self, seed: int) -> list[np.ndarray]:
        """Freshly initialised weights (torch's default init under ``seed``), as float32 arrays."""
        torch = _torch()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            module = self.model.build(self.info)
        return [p.detach().cpu().numpy().copy() for p in module.parameters()]

    def _load(self, arrays: Sequence[np.ndarray]) -> Any:
        torch = _torch()
        self._setup()
        flat = torch.from_numpy(np.concatenate([np.asarray(a, dtype=np.float32).ravel() for a in arrays])).to(self.device)
        with torch.no_grad():
            # vector_to_parameters makes the parameters views of its input: give it a copy
            torch.nn.utils.vector_to_parameters(flat.clone(), self._params)
        return flat

    def _tensors(self, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        torch = _torch()
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
        yt = torch.from_numpy(np.ascontiguousarray(y)).to(self.device)
        return xt, yt

    def _loss(self, out: Any, y: Any) -> Any:
        torch = _torch()
        if self.info.task == "classification":
            return torch.nn.functional.cross_entropy(out, y)
        return torch.nn.functional.mse_loss(out.squeeze(-1), y)

    # -- training and evaluation ---------------------------------------------------------

    def train(
        self, arrays: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray, seed: int, lr: float | None = None
    ) -> tuple[list[np.ndarray], float]:
        """``local_steps`` SGD steps from ``arrays`` on the chunk ``(x, y)`` (step size ``lr``, default ``self.lr``).

        Returns the update ``θ_local - θ_start`` as float32 arrays (the shapes of
        ``arrays``) and the mean training loss of the steps.
        """
        torch = _torch()
        step = self.lr if lr is None else lr
        with _session(self.device, self.threads):
            start = self._load(arrays)
            xt, yt = self._tensors(x, y)
            rng = np.random.default_rng(int(seed))
            n = len(y)
            losses = []
            for _ in range(self.local_steps):
                if self.batch_size < n:
                    idx = torch.from_numpy(rng.choice(n, size=self.batch_size, replace=False)).to(self.device)
                    xb, yb = xt[idx], yt[idx]
                else:
                    xb, yb = xt, yt
                loss = self._loss(self._module(xb), yb)
                grads = torch.autograd.grad(loss, self._params)
                with torch.no_grad():
                    for p, g in zip(self._params, grads):
                        p.sub_(step * g)
                losses.append(float(loss.detach()))
            with torch.no_grad():
                delta = (torch.nn.utils.parameters_to_vector(self._params) - start).cpu().numpy()
        return unflatten(delta, [tuple(a.shape) for a in arrays]), float(np.mean(losses)) if losses else float("nan")

    def set_validation(self, x: np.ndarray, y: np.ndarray) -> None:
        """Keep the validation set on the device for :meth:`evaluate_validation`."""
        self._setup()
        self._val = self._tensors(x, y)

    def evaluate(self, arrays: Sequence[np.ndarray], x: np.ndarray | None = None, y: np.ndarray | None = None) -> tuple[float, float]:
        """``(performance, loss)`` of ``arrays`` on ``(x, y)`` (default: the validation set).

        Performance is accuracy for classification and R² (``1 - MSE / Var(y)``)
        for regression; loss is the mean cross-entropy or squared error.
        """
        torch = _torch()
        with _session(self.device, self.threads):
            self._load(arrays)
            if x is None:
                if self._val is None:
                    raise RuntimeError("no validation set: call set_validation first")
                xt, yt = self._val
            else:
                xt, yt = self._tensors(x, y)
            with torch.no_grad():
                out = self._module(xt)
                loss = float(self._loss(out, yt))
                if self.info.task == "classification":
                    perf = float((out.argmax(dim=1) == yt).float().mean())
                else:
                    var = float(yt.var(unbiased=False))
                    perf = 1.0 - loss / var if var > 0 else float("nan")
        return perf, loss
