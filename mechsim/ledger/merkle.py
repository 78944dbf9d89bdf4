"""Merkle trees for :file:`contracts/PayoutMerkle.vy`, hashed exactly as the contract does.

Leaf and node format (the contract's docstring says the same)::

    leaf = keccak256(abi.encode(uint256 epoch, address account, uint256 amount))   # 96-byte preimage
    node = keccak256(min(a, b) ++ max(a, b))                                       # 64-byte preimage

Pairs are sorted as 256-bit big-endian integers (equivalently, as bytes), so a proof is
just the list of siblings from the leaf up. A level with an odd number of nodes promotes
its last node unchanged. The tree of no leaves has the all-zero root. Leaf and node
preimages differ in length, so an inner node cannot be claimed as a leaf.

Needs ``eth-abi`` and ``eth-hash`` (installed with ``mechsim[chain]``).
"""

from __future__ import annotations

from collections.abc import Sequence

from mechsim.errors import BackendUnavailableError

__all__ = ["leaf_hash", "hash_pair", "MerkleTree", "process_proof"]

EMPTY_ROOT = b"\x00" * 32


def _keccak(data: bytes) -> bytes:
    try:
        from eth_hash.auto import keccak
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendUnavailableError(
            "Merkle payouts need keccak256 from eth-hash: pip install 'mechsim[chain]'"
        ) from exc
    return keccak(data)


def leaf_hash(epoch: int, address: str, amount: int) -> bytes:
    """``keccak256(abi.encode(epoch, address, amount))``."""
    try:
        from eth_abi import encode
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendUnavailableError("Merkle payouts need eth-abi: pip install 'mechsim[chain]'") from exc
    return _keccak(encode(["uint256", "address", "uint256"], [int(epoch), address, int(amount)]))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """The parent of two nodes: keccak256 of the smaller then the larger."""
    return _keccak(a + b if a < b else b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by ``leaf`` and its sibling path (what the contract computes)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


class MerkleTree:
    """A tree over ``leaves`` (32-byte hashes, in the given order).

    Attributes
    ----------
    levels : list of list of bytes
        ``levels[0]`` are the leaves, ``levels[-1] == [root]``.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            above = [hash_pair(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            if len(below) % 2:
                above.append(below[-1])
            self.levels.append(above)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0] if self.levels[0] else EMPTY_ROOT

    def proof(self, index: int) -> list[bytes]:
        """Siblings of leaf ``index`` from the bottom up (promoted levels add nothing)."""
        if not 0 <= index < len(self.levels[0]):
            raise IndexError(f"leaf index {index} out of range for {len(self.levels[0])} leaves")
        path = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path
