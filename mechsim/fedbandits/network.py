"""The communication graph: clients and the server as nodes of a connected ``networkx`` graph.

Node 0 is the server; clients are nodes ``1..N`` (client ``i`` is node ``i + 1``).
A participant's upload and download each travel its shortest path to the server,
so a round costs ``2 * hops_j * (d^2 + d)`` scalars per participant ``j`` (``Delta V``
and ``Delta b``), and its download arrives ``2 * hops_j * hop_latency`` after the round.
The star (the papers' setting) has one hop for everyone.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from mechsim.errors import ParameterError

__all__ = ["TOPOLOGIES", "build_graph", "hop_counts", "round_scalars"]

TOPOLOGIES = ("star", "path", "ring", "complete", "tree", "erdos_renyi", "barabasi_albert")


def build_graph(topology: str, n_agents: int, *, seed: int = 0, p: float = 0.2) -> nx.Graph:
    """The graph on ``n_agents + 1`` nodes (node 0: the server); raises if it is not connected."""
    n = n_agents + 1
    if topology == "star":
        g = nx.star_graph(n_agents)
    elif topology == "path":
        g = nx.path_graph(n)
    elif topology == "ring":
        g = nx.cycle_graph(n)
    elif topology == "complete":
        g = nx.complete_graph(n)
    elif topology == "tree":
        g = nx.balanced_tree(2, int(np.ceil(np.log2(n + 1))))
        g = g.subgraph(range(n)).copy()
    elif topology == "erdos_renyi":
        g = nx.erdos_renyi_graph(n, p, seed=seed)
    elif topology == "barabasi_albert":
        g = nx.barabasi_albert_graph(n, 2, seed=seed)
    else:
        raise ParameterError(f"The 'topology' setting must be one of {', '.join(map(repr, TOPOLOGIES))}. Got {topology!r} instead.")
    if not nx.is_connected(g):
        raise ParameterError(f"The {topology!r} communication graph (seed {seed}) is not connected; raise its edge probability.")
    return g


def hop_counts(graph: nx.Graph) -> np.ndarray:
    """(N,) shortest-path hops from every client (nodes 1..N) to the server (node 0)."""
    dist = nx.single_source_shortest_path_length(graph, 0)
    return np.array([dist[i] for i in range(1, graph.number_of_nodes())], dtype=float)


def round_scalars(hops: np.ndarray, selected: np.ndarray, dim: int) -> float:
    """Scalars a round moves: upload plus download of ``(Delta V, Delta b)`` along each participant's path."""
    return float(2.0 * (dim * dim + dim) * hops[selected].sum())
