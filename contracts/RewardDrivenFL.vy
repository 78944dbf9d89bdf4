# pragma version ~=0.4.3
"""
@title RewardDrivenFL
@notice The reward-driven federated-learning contract of the seed paper ("Federated Learning
        using Smart Contracts on Blockchains, based on Reward Driven Approach"): the
        aggregator records each round's contribution of every agent on chain; when the epoch is
        settled, the epoch's funded budget is split in proportion to the accumulated
        contributions, transparently and verifiably (every record and reward is an event).
@dev Rounding and dust (mirrored exactly by mechsim.ledger.MemoryLedger):
       C = total contribution of the epoch, B = funded budget of the epoch,
       base_i = (B * c_i) // C                       (floor, exact 256-bit integer arithmetic)
       dust  = B - sum_i base_i                      (0 <= dust < number of participants)
       reward_i = base_i + 1 for the first `dust` participants in the order in which they were
       first recorded in the epoch, base_i for the others.
     So every reward is the exact proportional share rounded down or up, the whole budget is
     allocated (funded == allocated for a settled epoch with contributions), and conservation
     holds exactly. An epoch settled with no contributions allocates nothing; its budget stays
     in the contract as unallocated (recoverable). B * C must fit in 256 bits ("reward overflow"),
     checked when funding and recording, so that settle cannot revert for it; `cancel(epoch)`
     closes an epoch unsettled, leaving its budget recoverable.
     Funding pulls tokens with transferFrom. Settling closes the epoch: recording, funding or
     settling it again reverts ("epoch closed"). Rewards accumulate per agent across epochs and
     are pulled with `claim()`.
     Recovery: tokens nobody can ever claim go back to the operator through evented calls:
     `recover(epoch, to)` returns a closed epoch's budget - allocated (never what a payee can
     claim) and `recover_stray(to)` returns tokens transferred here directly. So every token
     the contract holds is claimable, in an open epoch's budget, or recoverable.
     Revert reasons: "only operator", "epoch closed", "length mismatch", "zero address",
     "zero amount", "contribution overflow", "too many participants", "reward overflow",
     "nothing to claim", "transfer failed", "contract payee", "epoch open",
     "nothing to recover".
"""

from ethereum.ercs import IERC20

MAX_BATCH: constant(uint256) = 256
MAX_PARTICIPANTS: constant(uint256) = 1024

event Funded:
    epoch: indexed(uint256)
    funder: indexed(address)
    amount: uint256

event ContributionRecorded:
    epoch: indexed(uint256)
    round: indexed(uint256)
    agent: indexed(address)
    contribution: uint256

event Rewarded:
    epoch: indexed(uint256)
    agent: indexed(address)
    amount: uint256
    contribution: uint256

event Settled:
    epoch: indexed(uint256)
    budget: uint256
    total_contribution: uint256
    n_participants: uint256
    dust: uint256

event Claimed:
    payee: indexed(address)
    amount: uint256

event Recovered:
    epoch: indexed(uint256)
    to: indexed(address)
    amount: uint256

event Cancelled:
    epoch: indexed(uint256)
    budget: uint256

event StrayRecovered:
    to: indexed(address)
    amount: uint256

token: public(immutable(IERC20))
operator: public(immutable(address))

budget: public(HashMap[uint256, uint256])      # epoch -> funded amount
allocated: public(HashMap[uint256, uint256])   # epoch -> rewarded at settlement
closed: public(HashMap[uint256, bool])
contribution: public(HashMap[uint256, HashMap[address, uint256]])
total_contribution: public(HashMap[uint256, uint256])
participants: public(HashMap[uint256, DynArray[address, MAX_PARTICIPANTS]])
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
@view
def n_participants(_epoch: uint256) -> uint256:
    return len(self.participants[_epoch])


@external
def fund(_epoch: uint256, _amount: uint256):
    assert _amount > 0, "zero amount"
    assert not self.closed[_epoch], "epoch closed"
    self.budget[_epoch] += _amount
    c_total: uint256 = self.total_contribution[_epoch]
    if c_total > 0:
        # refused here, not at settle (see record)
        assert self.budget[_epoch] <= max_value(uint256) // c_total, "reward overflow"
    self.total_funded += _amount
    assert extcall token.transferFrom(msg.sender, self, _amount, default_return_value=True), "transfer failed"
    log Funded(epoch=_epoch, funder=msg.sender, amount=_amount)


@external
def record(
    _epoch: uint256,
    _round: uint256,
    _agents: DynArray[address, MAX_BATCH],
    _contributions: DynArray[uint256, MAX_BATCH],
):
    assert msg.sender == operator, "only operator"
    assert not self.closed[_epoch], "epoch closed"
    assert len(_agents) == len(_contributions), "length mismatch"
    total: uint256 = self.total_contribution[_epoch]
    for i: uint256 in range(len(_agents), bound=MAX_BATCH):
        agent: address = _agents[i]
        c: uint256 = _contributions[i]
        assert agent != empty(address), "zero address"
        assert not agent.is_contract, "contract payee"
        assert c > 0, "zero amount"
        assert c <= max_value(uint256) - total, "contribution overflow"
        total += c
        previous: uint256 = self.contribution[_epoch][agent]
        if previous == 0:
            assert len(self.participants[_epoch]) < MAX_PARTICIPANTS, "too many participants"
            self.participants[_epoch].append(agent)
        self.contribution[_epoch][agent] = previous + c
        log ContributionRecorded(epoch=_epoch, round=_round, agent=agent, contribution=c)
    # refused here, not at settle: an epoch whose settle always reverts would lock its budget
    if total > 0:
        assert self.budget[_epoch] <= max_value(uint256) // total, "reward overflow"
    self.total_contribution[_epoch] = total


@external
def settle(_epoch: uint256):
    assert msg.sender == operator, "only operator"
    assert not self.closed[_epoch], "epoch closed"
    self.closed[_epoch] = True
    b: uint256 = self.budget[_epoch]
    c_total: uint256 = self.total_contribution[_epoch]
    agents: DynArray[address, MAX_PARTICIPANTS] = self.participants[_epoch]
    if c_total == 0:
        log Settled(epoch=_epoch, budget=b, total_contribution=0, n_participants=0, dust=0)
        return
    assert b <= max_value(uint256) // c_total, "reward overflow"
    # pass 1: floor shares, kept in memory; their sum fixes the dust
    contributions: DynArray[uint256, MAX_PARTICIPANTS] = []
    bases: DynArray[uint256, MAX_PARTICIPANTS] = []
    floor_sum: uint256 = 0
    for agent: address in agents:
        c: uint256 = self.contribution[_epoch][agent]
        base: uint256 = b * c // c_total
        contributions.append(c)
        bases.append(base)
        floor_sum += base
    dust: uint256 = b - floor_sum
    # pass 2: one write per agent; the first `dust` agents get one extra unit
    for i: uint256 in range(len(agents), bound=MAX_PARTICIPANTS):
        reward: uint256 = bases[i]
        if i < dust:
            reward += 1
        if reward > 0:
            self.claimable[agents[i]] += reward
        log Rewarded(epoch=_epoch, agent=agents[i], amount=reward, contribution=contributions[i])
    self.allocated[_epoch] = b
    self.total_allocated += b
    log Settled(epoch=_epoch, budget=b, total_contribution=c_total, n_participants=len(agents), dust=dust)


@external
def cancel(_epoch: uint256):
    """Close an epoch without rewarding anyone (for an epoch that must not be settled);
    its whole budget becomes recoverable."""
    assert msg.sender == operator, "only operator"
    assert not self.closed[_epoch], "epoch closed"
    self.closed[_epoch] = True
    log Cancelled(epoch=_epoch, budget=self.budget[_epoch])


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
