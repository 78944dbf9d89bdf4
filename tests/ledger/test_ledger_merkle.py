"""The Python Merkle tree: proofs verify, tampering does not, leaf encoding matches abi.encode."""

from __future__ import annotations

import pytest

pytest.importorskip("eth_hash", reason="eth-hash not installed: pip install 'mechsim[chain]'")
pytest.importorskip("eth_abi", reason="eth-abi not installed: pip install 'mechsim[chain]'")

from eth_hash.auto import keccak  # noqa: E402

from mechsim.ledger import address_of  # noqa: E402
from mechsim.ledger.merkle import EMPTY_ROOT, MerkleTree, hash_pair, leaf_hash, process_proof  # noqa: E402


def test_leaf_is_keccak_of_the_96_byte_abi_encoding():
    address = address_of("alice")
    manual = (7).to_bytes(32, "big") + bytes(12) + bytes.fromhex(address[2:]) + (10**18).to_bytes(32, "big")
    assert len(manual) == 96 and leaf_hash(7, address, 10**18) == keccak(manual)


def test_pairs_are_sorted():
    a, b = keccak(b"a"), keccak(b"b")
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
def test_every_proof_verifies_and_tampering_fails(n):
    leaves = [leaf_hash(0, address_of(i), i + 1) for i in range(n)]
    tree = MerkleTree(leaves)
    assert len(tree.proof(0)) <= max(1, (n - 1).bit_length())
    for i, leaf in enumerate(leaves):
        assert process_proof(leaf, tree.proof(i)) == tree.root
        assert process_proof(leaf_hash(0, address_of(i), i + 2), tree.proof(i)) != tree.root
        if tree.proof(i):
            assert process_proof(leaf, [b"\x00" * 32] + tree.proof(i)[1:]) != tree.root


def test_root_by_hand_for_three_leaves_and_the_empty_tree():
    l0, l1, l2 = (keccak(bytes([i])) for i in range(3))
    assert MerkleTree([l0, l1, l2]).root == hash_pair(hash_pair(l0, l1), l2)  # odd node promoted
    assert MerkleTree([]).root == EMPTY_ROOT
    with pytest.raises(IndexError):
        MerkleTree([l0]).proof(1)
