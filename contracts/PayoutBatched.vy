# pragma version ~=0.4.3
"""
@title PayoutBatched
@notice Per-epoch reward escrow: anyone funds an epoch, the operator (the mechanism) posts the
        epoch's allocation as batches of (payee, amount), payees pull what they are owed.
@dev Design choices (mirrored exactly by mechsim.ledger.MemoryLedger):
     - Funding pulls tokens with transferFrom (the funder approves this contract first); the
       contract never mints, so the token's supply rules stay in the token.
     - Only `operator` (fixed at deploy) may post. An epoch may be posted in several batches
       (a batch holds at most MAX_BATCH entries); the batch with `_close=True` closes the epoch,
       after which funding or posting that epoch reverts ("epoch closed").
     - Allocations accumulate per payee across epochs; `claim()` pays the whole balance owed,
       so a second claim reverts ("nothing to claim").
     - Conservation: token.balanceOf(self) == total_funded - total_paid, and
       total_funded - total_paid == (total_allocated - total_paid) + unallocated budget.
     Recovery: tokens nobody can ever claim go back to the operator through evented calls:
     `recover(epoch, to)` returns a closed epoch's budget - allocated (never what a payee can
     claim) and `recover_stray(to)` returns tokens transferred here directly. So every token
     the contract holds is claimable, in an open epoch's budget, or recoverable.
     Revert reasons: "only operator", "epoch closed", "length mismatch", "zero address",
     "zero amount", "amount overflow", "over budget", "nothing to claim", "transfer failed", "contract payee", "epoch open",
     "nothing to recover".
"""

from ethereum.ercs import IERC20

MAX_BATCH: constant(uint256) = 256

event Funded:
    epoch: indexed(uint256)
    funder: indexed(address)
    amount: uint256

event Allocated:
    epoch: indexed(uint256)
    payee: indexed(address)
    amount: uint256

event BatchPosted:
    epoch: indexed(uint256)
    n_payees: uint256
    total: uint256
    closed: bool

event Claimed:
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
allocated: public(HashMap[uint256, uint256])   # epoch -> posted amount (<= budget)
closed: public(HashMap[uint256, bool])
claimable: public(HashMap[address, uint256])
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
def post(
    _epoch: uint256,
    _payees: DynArray[address, MAX_BATCH],
    _amounts: DynArray[uint256, MAX_BATCH],
    _close: bool,
):
    assert msg.sender == operator, "only operator"
    assert not self.closed[_epoch], "epoch closed"
    assert len(_payees) == len(_amounts), "length mismatch"
    room: uint256 = self.budget[_epoch] - self.allocated[_epoch]
    total: uint256 = 0
    for i: uint256 in range(len(_payees), bound=MAX_BATCH):
        payee: address = _payees[i]
        amount: uint256 = _amounts[i]
        assert payee != empty(address), "zero address"
        assert not payee.is_contract, "contract payee"
        assert amount > 0, "zero amount"
        assert amount <= max_value(uint256) - total, "amount overflow"
        total += amount
        assert total <= room, "over budget"
        # cannot overflow: the sum of all claimables is bounded by the funded tokens
        self.claimable[payee] += amount
        log Allocated(epoch=_epoch, payee=payee, amount=amount)
    self.allocated[_epoch] += total
    self.total_allocated += total
    if _close:
        self.closed[_epoch] = True
    log BatchPosted(epoch=_epoch, n_payees=len(_payees), total=total, closed=_close)


@external
@nonreentrant
def claim() -> uint256:
    amount: uint256 = self.claimable[msg.sender]
    assert amount > 0, "nothing to claim"
    # effects before the external call
    self.claimable[msg.sender] = 0
    self.total_paid += amount
    assert extcall token.transfer(msg.sender, amount, default_return_value=True), "transfer failed"
    log Claimed(payee=msg.sender, amount=amount)
    return amount


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
