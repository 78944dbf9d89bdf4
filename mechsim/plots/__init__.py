"""Plots consume results; they never run dynamics.

Every function takes tables (or arrays) and an output path, draws with the Agg
backend and returns the path written.
"""

from __future__ import annotations

__all__ = ["figure", "save"]


def figure(**kwargs):
    """A new (fig, ax) pair on the non-interactive Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=kwargs.pop("figsize", (6.4, 4.2)), layout="constrained")
    FigureCanvasAgg(fig)
    nrows, ncols = kwargs.pop("nrows", 1), kwargs.pop("ncols", 1)
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def save(fig, path):
    fig.savefig(path, dpi=120)
    return path
