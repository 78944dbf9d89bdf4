# pragma version ~=0.4.3
"""
@title PayoutMerkle
@notice Per-epoch reward escrow where the operator posts one Merkle root and the epoch total
        (operator gas does not grow with the number of payees); each payee claims its own leaf
        with a proof.
@dev Leaf and tree format (built off-chain by mechsim.ledger.merkle with the same hashing):
       leaf = keccak256(abi_encode(epoch: uint256, account: address, amount: uint256))  (96 bytes)
       node = keccak256(concat(min(a, b), max(a, b)))  pairs sorted as uint256     (64 bytes)
     A level with an odd number of nodes promotes its last node unchanged. Leaf preimages are
     96 bytes and node preimages 64 bytes, so an inner node cannot pass as a leaf.
     Funding pulls tokens with transferFrom. Posting closes the epoch: a second post, or funding
     a posted epoch, reverts ("epoch closed"). Each (epoch, account) claims at most once
     ("already claimed"), and the sum claimed in an epoch never exceeds the posted total
     ("exceeds epoch total"), even if the operator posted a root whose leaves sum to more.
     Recovery: tokens nobody can ever claim go back to the operator through evented calls:
     `recover(epoch, to)` returns a closed epoch's budget - allocated (never what a payee can
     claim) and `recover_stray(to)` returns tokens transferred here directly. So every token
     the contract holds is claimable, in an open epoch's budget, or recoverable.
     Revert reasons: "only operator", "epoch closed", "over budget", "epoch not posted",
     "already claimed", "zero amount", "invalid proof", "exceeds epoch total", "transfer failed", "epoch open",
     "nothing to recover".
"""

from ethereum.ercs import IERC20

MAX_DEPTH: constant(uint256) = 32

event Funded:
    epoch: indexed(uint256)
    funder: indexed(address)
    amount: uint256

event RootPosted:
    epoch: indexed(uint256)
    root: bytes32
    total: uint256
    n_payees: uint256

event Claimed:
    epoch: indexed(uint256)
    payee: indexed(address)
    amount: uint256

event Recovered:
    epoch: indexed(uint256)
    to: indexed(address)
    amount: uint256

event StrayRecovered:
    to: indexed(address)
    amount: uint256

token: public(immutable(IERC20))
operator: public(immutable(address))

budget: public(HashMap[uint256, uint256])      # epoch -> funded amount
allocated: public(HashMap[uint256, uint256])   # epoch -> posted total (<= budget)
paid: public(HashMap[uint256, uint256])        # epoch -> claimed so far (<= allocated)
root: public(HashMap[uint256, bytes32])
closed: public(HashMap[uint256, bool])
claimed: public(HashMap[uint256, HashMap[address, bool]])
total_funded: public(uint256)
total_allocated: public(uint256)
total_paid: public(uint256)
recovered: public(HashMap[uint256, uint256])   # epoch -> returned to the operator after closing
total_recovered: public(uint256)


@deploy
def __init__(_token: IERC20, _operator: address):
    assert _token.address != empty(address), "zero address"
    assert _operator != empty(address), "zero address"
    token = _token
    operator = _operator


@external
def fund(_epoch: uint256, _amount: uint256):
    assert _amount > 0, "zero amount"
    assert not self.closed[_epoch], "epoch closed"
    self.budget[_epoch] += _amount
    self.total_funded += _amount
    assert extcall token.transferFrom(msg.sender, self, _amount, default_return_value=True), "transfer failed"
    log Funded(epoch=_epoch, funder=msg.sender, amount=_amount)


@external
def post_root(_epoch: uint256, _root: bytes32, _total: uint256, _n_payees: uint256):
    assert msg.sender == operator, "only operator"
    assert not self.closed[_epoch], "epoch closed"
    assert _total <= self.budget[_epoch], "over budget"
    self.root[_epoch] = _root
    self.allocated[_epoch] = _total
    self.total_allocated += _total
    self.closed[_epoch] = True
    log RootPosted(epoch=_epoch, root=_root, total=_total, n_payees=_n_payees)


@internal
@pure
def _leaf(_epoch: uint256, _account: address, _amount: uint256) -> bytes32:
    return keccak256(abi_encode(_epoch, _account, _amount))


@internal
@pure
def _process_proof(_leaf: bytes32, _proof: DynArray[bytes32, MAX_DEPTH]) -> bytes32:
    node: bytes32 = _leaf
    for sibling: bytes32 in _proof:
        if convert(node, uint256) < convert(sibling, uint256):
            node = keccak256(concat(node, sibling))
        else:
            node = keccak256(concat(sibling, node))
    return node


@external
@view
def verify(_epoch: uint256, _account: address, _amount: uint256, _proof: DynArray[bytes32, MAX_DEPTH]) -> bool:
    return self.closed[_epoch] and self._process_proof(self._leaf(_epoch, _account, _amount), _proof) == self.root[_epoch]


@external
@nonreentrant
def claim(_epoch: uint256, _amount: uint256, _proof: DynArray[bytes32, MAX_DEPTH]) -> uint256:
    assert self.closed[_epoch], "epoch not posted"
    assert not self.claimed[_epoch][msg.sender], "already claimed"
    assert _amount > 0, "zero amount"
    leaf: bytes32 = self._leaf(_epoch, msg.sender, _amount)
    assert self._process_proof(leaf, _proof) == self.root[_epoch], "invalid proof"
    assert _amount <= self.allocated[_epoch] - self.paid[_epoch], "exceeds epoch total"
    # effects before the external call
    self.claimed[_epoch][msg.sender] = True
    self.paid[_epoch] += _amount
    self.total_paid += _amount
    assert extcall token.transfer(msg.sender, _amount, default_return_value=True), "transfer failed"
    log Claimed(epoch=_epoch, payee=msg.sender, amount=_amount)
    return _amount


@external
@view
def recoverable(_epoch: uint256) -> uint256:
    """Budget of a closed epoch that no payee can ever claim: funded, never allocated, not yet recovered."""
    if not self.closed[_epoch]:
        return 0
    return self.budget[_epoch] - self.allocated[_epoch] - self.recovered[_epoch]


@external
@view
def stray() -> uint256:
    """Tokens sent here directly (not through fund): held beyond what the books account for."""
    return staticcall token.balanceOf(self) + self.total_paid + self.total_recovered - self.total_funded


@external
@nonreentrant
def recover(_epoch: uint256, _to: address) -> uint256:
    """Return a closed epoch's unallocated budget (never anything a payee can claim)."""
    assert msg.sender == operator, "only operator"
    assert _to != empty(address), "zero address"
    assert self.closed[_epoch], "epoch open"
    amount: uint256 = self.budget[_epoch] - self.allocated[_epoch] - self.recovered[_epoch]
    assert amount > 0, "nothing to recover"
    self.recovered[_epoch] += amount
    self.total_recovered += amount
    assert extcall token.transfer(_to, amount, default_return_value=True), "transfer failed"
    log Recovered(epoch=_epoch, to=_to, amount=amount)
    return amount


@external
@nonreentrant
def recover_stray(_to: address) -> uint256:
    """Return tokens transferred here directly; funded, claimable and recoverable tokens stay."""
    assert msg.sender == operator, "only operator"
    assert _to != empty(address), "zero address"
    amount: uint256 = staticcall token.balanceOf(self) + self.total_paid + self.total_recovered - self.total_funded
    assert amount > 0, "nothing to recover"
    assert extcall token.transfer(_to, amount, default_return_value=True), "transfer failed"
    log StrayRecovered(to=_to, amount=amount)
    return amount
