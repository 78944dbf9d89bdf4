"""A real torch model as the gauntlet's second learner: a small MLP regressing a teacher network.

Same interface as :class:`~mechsim.gauntlet.learner.QuadraticLearner` (``reset``,
``own_shards``, ``shared_shard``, ``random_shard``, ``gradient``, ``loss``,
``excess_loss``, ``advance``; a flat parameter vector theta of length ``d_``), so the
validator and the peers run on it unchanged.

Model: a one-hidden-layer tanh MLP ``f(x; w)`` (``in_dim -> hidden -> 1``). Its
parameters are ``w = w0 + theta[:n_params]``: theta is the displacement from a fixed
random initialisation ``w0`` (the canonical model and every peer start at theta = 0, as
with the quadratic learner); ``theta`` is padded with unused coordinates up to a
multiple of ``chunk`` (their gradient is pure batch noise, they do not enter the loss).
The flat vectors of all peers (or evaluations) form one (B, P) batch that is split into
the MLP's tensors and run as one batched matmul forward; gradients by one autograd pass.

Data: a teacher ``w* = w0 + N(0, teacher_sd^2)`` (taking a random-walk step of ``drift``
per window). A shard is described by a vector ``(s, c)`` of length ``in_dim + 1``: its
inputs are ``x = Z + s`` for a fixed base sample ``Z`` (``n_samples x in_dim``, N(0, I),
drawn at reset), its labels ``y = f(x; w*) + c`` (shard-specific input shift and label
offset, ``s ~ N(0, shift_sd^2 I)``, ``c ~ N(0, label_sd^2)``). So an update on one's own
shard lowers the loss there more than on a fresh shard (it also fits the own ``s, c``).
Shard descriptors come from the seed tree per (window, replication, uid), as for the
quadratic learner. ``L(theta, D) = 0.5 mean((f(x) - y)^2) + loss_floor`` in float64;
the gradient of a peer averaging ``b`` batches is the exact shard gradient plus Gaussian
noise of sd ``batch_noise_sd / sqrt(b)`` drawn from the caller's numpy generator (the
minibatch noise of real training, modelled, not sampled). ``excess_loss`` is
``0.5 mean((f(x; w) - f(x; w*))^2)`` on a fixed evaluation set of inputs drawn like
shard inputs.

``device``: ``"cpu"`` (deterministic under a seed), ``"cuda"`` (raises
:class:`CudaUnavailableError` when torch sees no CUDA device) or ``"auto"``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Integer, Options, Real, validate_params
from mechsim.core.registry import register
from mechsim.errors import BackendUnavailableError, ParameterError, ScenarioError

__all__ = ["TorchMLPLearner", "CudaUnavailableError"]


class CudaUnavailableError(BackendUnavailableError, ScenarioError):
    """``device = "cuda"`` was asked for and torch sees no CUDA device."""


@register("gauntlet/torch-mlp-learner-v1", kind="gauntlet.learner")
class TorchMLPLearner:
    """A small torch MLP regressing a drifting teacher on shifted shards.

    Parameters
    ----------
    in_dim : int, default 8
        Input width.
    hidden : int, default 24
        Hidden units (tanh).
    chunk : int, default 64
        Compression chunk length; ``d_`` is the parameter count rounded up to a multiple.
    topk : int, default 8
        Coordinates sent per chunk.
    n_samples : int, default 64
        Points per shard.
    n_eval : int, default 512
        Points of the excess-loss evaluation set.
    teacher_sd : float, default 0.05
        Distance of the teacher from the initialisation (per parameter).
    init_sd : float, default 0.5
        Scale of the initialisation w0 (weights scaled by 1/sqrt(fan_in) on top).
    shift_sd : float, default 0.5
        Spread of a shard's input shift s.
    label_sd : float, default 0.02
        Spread of a shard's label offset c.
    drift : float, default 0.0
        Per-window random-walk step of the teacher (per parameter).
    batch_noise_sd : float, default 0.05
        Gradient noise of one batch; a peer averaging b batches has sd / sqrt(b).
    loss_floor : float, default 1e-3
        L0, so that relative improvements are well defined.
    momentum_decay : float, default 0.999
        Error-feedback decay of the peers' DeMo accumulator.
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where the model runs; ``"auto"`` takes CUDA when present.
    """

    _parameter_constraints: ClassVar[dict] = {
        "in_dim": Integer(1, None),
        "hidden": Integer(1, None),
        "chunk": Integer(1, None),
        "topk": Integer(1, None),
        "n_samples": Integer(1, None),
        "n_eval": Integer(1, None),
        "teacher_sd": Real(0.0, None),
        "init_sd": Real(0.0, None),
        "shift_sd": Real(0.0, None),
        "label_sd": Real(0.0, None),
        "drift": Real(0.0, None),
        "batch_noise_sd": Real(0.0, None),
        "loss_floor": Real(0.0, None, closed="neither"),
        "momentum_decay": Real(0.0, 1.0),
        "device": Options(("cpu", "cuda", "auto")),
    }

    def __init__(self, *, in_dim: int = 8, hidden: int = 24, chunk: int = 64, topk: int = 8, n_samples: int = 64,
                 n_eval: int = 512, teacher_sd: float = 0.05, init_sd: float = 0.5, shift_sd: float = 0.5,
                 label_sd: float = 0.02, drift: float = 0.0, batch_noise_sd: float = 0.05, loss_floor: float = 1e-3,
                 momentum_decay: float = 0.999, device: str = "cpu") -> None:
        self.in_dim = in_dim
        self.hidden = hidden
        self.chunk = chunk
        self.topk = topk
        self.n_samples = n_samples
        self.n_eval = n_eval
        self.teacher_sd = teacher_sd
        self.init_sd = init_sd
        self.shift_sd = shift_sd
        self.label_sd = label_sd
        self.drift = drift
        self.batch_noise_sd = batch_noise_sd
        self.loss_floor = loss_floor
        self.momentum_decay = momentum_decay
        self.device = device

    # ------------------------------------------------------------------ set-up
    def _torch(self) -> Any:
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - torch is in the base install
            raise BackendUnavailableError("gauntlet/torch-mlp-learner-v1 needs torch: pip install torch") from exc
        return torch

    def _resolve_device(self, torch: Any, device: str) -> str:
        has = torch.cuda.is_available()
        if device == "cuda" and not has:
            raise CudaUnavailableError(
                "The 'device' parameter of gauntlet/torch-mlp-learner-v1 is 'cuda' but torch sees no CUDA device "
                f"(torch {torch.__version__}, cuda build {torch.version.cuda}); use device = 'cpu' or 'auto'.")
        return "cuda" if device == "auto" and has or device == "cuda" else "cpu"

    def reset(self, *, n_replications: int, n_agents: int, seeds: Any) -> None:
        """Start: w0, the teacher, the base inputs and the evaluation set; ``seeds`` is nature's SeedTree node."""
        p = validate_params(self)
        if p["topk"] > p["chunk"]:
            raise ParameterError(f"The 'topk' parameter of TorchMLPLearner must be at most chunk={p['chunk']}. Got {p['topk']} instead.")
        torch = self._torch()
        self.torch_ = torch
        self.dev_ = self._resolve_device(torch, p["device"])
        self.p_ = p
        i, h = p["in_dim"], p["hidden"]
        self.shapes_ = {"w1": (h, i), "b1": (h,), "w2": (1, h), "b2": (1,)}
        self.n_params_ = sum(int(np.prod(s)) for s in self.shapes_.values())
        self.d_ = -(-self.n_params_ // p["chunk"]) * p["chunk"]
        self.shard_dim = i + 1
        self.R_, self.N_ = n_replications, n_agents
        self.seeds_ = seeds
        g = seeds.generator("mlp-init")
        fan = np.concatenate([np.full(h * i, 1 / np.sqrt(i)), np.full(h, 1.0), np.full(h, 1 / np.sqrt(h)), [1.0]])
        w0 = p["init_sd"] * fan * g.standard_normal(self.n_params_)
        star = w0 + p["teacher_sd"] * seeds.generator("teacher").standard_normal((n_replications, self.n_params_))
        self.w0_ = torch.as_tensor(w0, dtype=torch.float64, device=self.dev_)
        self.star_ = star  # (R, P) float64, numpy (drifts on the host)
        self.Z_ = torch.as_tensor(seeds.generator("base-inputs").standard_normal((p["n_samples"], i)), dtype=torch.float64, device=self.dev_)
        ge = seeds.generator("eval-set")
        xe = ge.standard_normal((p["n_eval"], i)) + p["shift_sd"] * ge.standard_normal((p["n_eval"], i))
        self.Xe_ = torch.as_tensor(xe, dtype=torch.float64, device=self.dev_)
        self.drift_rng_ = seeds.generator("drift")
        self.cache_: tuple[int, np.ndarray] | None = None
        self._build()

    def _build(self) -> None:
        """Batched forward passes: row b of a (B, P) parameter batch is one MLP (one peer / evaluation).

        ``torch.func.vmap(grad(...))`` over ``functional_call`` gave the same numbers but cost
        ~120 ms a call on this CPU (vmap's per-call overhead for a 241-parameter net); the
        batched einsum forward with one autograd pass (rows are independent, so the gradient
        of the summed loss is every row's own gradient) costs ~1 ms.
        """
        torch = self.torch_
        i, h = self.p_["in_dim"], self.p_["hidden"]
        sizes = [int(np.prod(s)) for s in self.shapes_.values()]

        def f(w: Any, x: Any) -> Any:  # w (B, P), x (B, M, i) or (M, i) -> (B, M)
            w1, b1, w2, b2 = torch.split(w, sizes, dim=1)
            w1 = w1.reshape(-1, h, i)
            z = torch.matmul(x, w1.transpose(1, 2))  # (B, M, h); x broadcasts when (M, i)
            return (torch.tanh(z + b1[:, None, :]) * w2[:, None, :]).sum(-1) + b2

        self.f_ = f

        def shard_loss(w: Any, star: Any, desc: Any) -> Any:  # (B,)
            x = self.Z_[None, :, :] + desc[:, None, :-1]
            r = f(w, x) - f(star, x) - desc[:, -1:]
            return 0.5 * (r * r).mean(dim=1)

        self.shard_loss_ = shard_loss

    # ------------------------------------------------------------------ data
    @property
    def n_chunks(self) -> int:
        return self.d_ // self.p_["chunk"]

    def _desc(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        d = rng.standard_normal((*shape, self.shard_dim), dtype=np.float32)
        d[..., :-1] *= np.float32(self.p_["shift_sd"])
        d[..., -1] *= np.float32(self.p_["label_sd"])
        return d

    def own_shards(self, t: int) -> np.ndarray:
        """(R, N, in_dim + 1) float32 descriptors of every peer's shard in window ``t`` (cached per window)."""
        if self.cache_ is None or self.cache_[0] != t:
            self.cache_ = (t, self._desc(self.seeds_.generator("shards", t), (self.R_, self.N_)))
        return self.cache_[1]

    def shared_shard(self, t: int) -> np.ndarray:
        """(R, in_dim + 1) descriptor of the public data set (one per window)."""
        return self._desc(self.seeds_.generator("public", t), (self.R_,))

    def random_shard(self, rng: np.random.Generator) -> np.ndarray:
        """(R, in_dim + 1) descriptor of the validator's random pages."""
        return self._desc(rng, (self.R_,))

    # ------------------------------------------------------------------ model
    def _flat(self, theta: np.ndarray, desc: np.ndarray) -> tuple[Any, Any, Any, tuple[int, ...]]:
        """Broadcast theta (R, ..., d) against desc (R, ..., e); flatten to torch batches."""
        torch = self.torch_
        theta = np.asarray(theta)
        desc = np.asarray(desc)
        lead = np.broadcast_shapes(theta.shape[:-1], desc.shape[:-1])
        R = lead[0]
        th = np.broadcast_to(theta, (*lead, theta.shape[-1]))[..., : self.n_params_].reshape(-1, self.n_params_)
        de = np.broadcast_to(desc, (*lead, desc.shape[-1])).reshape(-1, desc.shape[-1])
        st = np.broadcast_to(self.star_.reshape(R, *([1] * (len(lead) - 1)), -1), (*lead, self.n_params_)).reshape(-1, self.n_params_)
        as_t = lambda a: torch.as_tensor(np.array(a, dtype=np.float64), device=self.dev_)  # noqa: E731
        return as_t(th) + self.w0_, as_t(st) + self.w0_, as_t(de), lead

    def gradient(self, theta: np.ndarray, xi: np.ndarray, batches: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(R, N, d) noisy gradient of L(., D) at ``theta`` (R, N, d) for shards ``xi``; ``batches`` (R, N) >= 0."""
        w, st, de, lead = self._flat(theta, xi)
        w.requires_grad_(True)
        (gw,) = self.torch_.autograd.grad(self.shard_loss_(w, st, de).sum(), w)
        gp = gw.cpu().numpy().reshape(*lead, self.n_params_)
        g = np.zeros((*lead, self.d_), dtype=np.float32)
        g[..., : self.n_params_] = gp
        noise = rng.standard_normal(g.shape, dtype=np.float32)
        sd = self.p_["batch_noise_sd"] / np.sqrt(np.maximum(batches, 1e-12))
        g += noise * sd[..., None].astype(np.float32)
        return g

    def loss(self, theta: np.ndarray, xi: np.ndarray) -> np.ndarray:
        """L(theta, D) (float64) over the last axis; theta and xi broadcast over the leading axes (first = R)."""
        w, st, de, lead = self._flat(theta, xi)
        with self.torch_.no_grad():
            out = self.shard_loss_(w, st, de).cpu().numpy()
        return out.reshape(lead) + self.p_["loss_floor"]

    def excess_loss(self, theta: np.ndarray) -> np.ndarray:
        """(R,) 0.5 mean((f(x; w) - f(x; w*))^2) on the fixed evaluation inputs."""
        torch = self.torch_
        th = torch.as_tensor(np.asarray(theta, dtype=np.float64)[:, : self.n_params_], device=self.dev_) + self.w0_
        st = torch.as_tensor(self.star_, device=self.dev_) + self.w0_
        with torch.no_grad():
            r = self.f_(th, self.Xe_) - self.f_(st, self.Xe_)
            return (0.5 * (r * r).mean(dim=1)).cpu().numpy()

    def advance(self) -> None:
        """End of a window: the teacher takes its random-walk step."""
        if self.p_["drift"] > 0:
            self.star_ = self.star_ + self.p_["drift"] * self.drift_rng_.standard_normal(self.star_.shape)
