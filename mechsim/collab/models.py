"""Model architectures of the learners (torch, imported only when a model is built).

==================  ===============================================================
id                  model
==================  ===============================================================
``collab/logreg-v1``  multinomial logistic regression: one linear layer, cross-entropy
``collab/linreg-v1``  linear regression: one linear layer, squared error
``collab/mlp-v1``     ``hidden_layers`` ReLU layers of ``hidden`` units
``collab/cnn-v1``     two 3x3 conv + ReLU + 2x2 max-pool blocks and a linear head,
                      for small images such as the 8x8 digits
==================  ===============================================================
"""

from __future__ import annotations

from typing import Any, ClassVar

from mechsim.collab.data import DataInfo
from mechsim.core.params import Constraint, Integer, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["ModelSpec", "LogisticRegression", "LinearRegression", "MLP", "CNN"]


class ModelSpec:
    """Base class of model components: ``check(info)`` then ``build(info)`` a torch module."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    #: tasks this model can learn
    tasks: ClassVar[tuple[str, ...]] = ("classification", "regression")

    def check(self, info: DataInfo) -> None:
        """Raise :class:`ParameterError` when the model cannot learn the task."""
        self.get_params()
        if info.task not in self.tasks:
            raise ParameterError(
                f"{type(self).__name__} learns {' or '.join(self.tasks)} tasks; the data is a {info.task} task."
            )

    def build(self, info: DataInfo) -> Any:
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


@register("collab/logreg-v1", kind="collab.model")
class LogisticRegression(ModelSpec):
    """Multinomial logistic regression (a linear layer on the features; cross-entropy)."""

    tasks: ClassVar[tuple[str, ...]] = ("classification",)

    def __init__(self) -> None:
        pass

    def build(self, info: DataInfo) -> Any:
        import torch

        return torch.nn.Linear(info.n_features, info.n_outputs)


@register("collab/linreg-v1", kind="collab.model")
class LinearRegression(ModelSpec):
    """Linear regression (one output; squared error)."""

    tasks: ClassVar[tuple[str, ...]] = ("regression",)

    def __init__(self) -> None:
        pass

    def build(self, info: DataInfo) -> Any:
        import torch

        return torch.nn.Linear(info.n_features, 1)


@register("collab/mlp-v1", kind="collab.model")
class MLP(ModelSpec):
    """A small multilayer perceptron with ReLU activations.

    Parameters
    ----------
    hidden : int >= 1, default 32
    hidden_layers : int >= 1, default 1
    """

    _parameter_constraints: ClassVar[dict] = {"hidden": Integer(1, None), "hidden_layers": Integer(1, None)}

    def __init__(self, *, hidden: int = 32, hidden_layers: int = 1) -> None:
        self.hidden = hidden
        self.hidden_layers = hidden_layers

    def build(self, info: DataInfo) -> Any:
        import torch

        p = self.get_params()
        layers: list[Any] = []
        width = info.n_features
        for _ in range(p["hidden_layers"]):
            layers += [torch.nn.Linear(width, p["hidden"]), torch.nn.ReLU()]
            width = p["hidden"]
        layers.append(torch.nn.Linear(width, info.n_outputs))
        return torch.nn.Sequential(*layers)


@register("collab/cnn-v1", kind="collab.model")
class CNN(ModelSpec):
    """A small CNN for images: [conv3x3, ReLU, maxpool2] x 2, then a linear head.

    Needs image data (for example ``collab/sklearn-v1`` with ``dataset = "digits"``,
    8x8 grey images). Works on flat features of shape ``(C*H*W,)``.

    Parameters
    ----------
    channels : int >= 1, default 8
        Channels of the first convolution (the second has twice as many).
    """

    _parameter_constraints: ClassVar[dict] = {"channels": Integer(1, None)}
    tasks: ClassVar[tuple[str, ...]] = ("classification",)

    def __init__(self, *, channels: int = 8) -> None:
        self.channels = channels

    def check(self, info: DataInfo) -> None:
        super().check(info)
        if info.image_shape is None:
            raise ParameterError("CNN needs image data (for example collab/sklearn-v1 with dataset = 'digits').")
        _, h, w = info.image_shape
        if h < 4 or w < 4:
            raise ParameterError(f"CNN needs images of at least 4x4 pixels. Got {h}x{w} instead.")

    def build(self, info: DataInfo) -> Any:
        import torch

        c = self.get_params()["channels"]
        ch, h, w = info.image_shape  # type: ignore[misc]
        return torch.nn.Sequential(
            torch.nn.Unflatten(1, (ch, h, w)),
            torch.nn.Conv2d(ch, c, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(c, 2 * c, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(2 * c * (h // 4) * (w // 4), info.n_outputs),
        )
