# pragma version ~=0.4.3
"""
@title RewardToken
@notice Minimal ERC20 reward token for mechsim payouts.
@dev Amounts are integer base units with 18 decimals (1 token = 10**18 units), like wei.
     The deployer is the owner; the owner grants and revokes minters; minters mint.
     Transfers to or approvals of the zero address revert ("zero address").
     An allowance of max_value(uint256) is infinite: transferFrom does not decrease it.
     Every state change emits an event (Transfer, Approval, MinterSet).
"""

from ethereum.ercs import IERC20

implements: IERC20

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

event MinterSet:
    minter: indexed(address)
    allowed: bool

name: public(String[32])
symbol: public(String[8])
decimals: public(constant(uint8)) = 18
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
owner: public(immutable(address))
is_minter: public(HashMap[address, bool])


@deploy
def __init__(_name: String[32], _symbol: String[8]):
    owner = msg.sender
    self.name = _name
    self.symbol = _symbol
    self.is_minter[msg.sender] = True
    log MinterSet(minter=msg.sender, allowed=True)


@external
def set_minter(_minter: address, _allowed: bool):
    assert msg.sender == owner, "only owner"
    assert _minter != empty(address), "zero address"
    self.is_minter[_minter] = _allowed
    log MinterSet(minter=_minter, allowed=_allowed)


@external
def mint(_to: address, _value: uint256):
    assert self.is_minter[msg.sender], "only minter"
    assert _to != empty(address), "zero address"
    # explicit bound so an overflowing mint fails with a readable reason
    assert _value <= max_value(uint256) - self.totalSupply, "supply overflow"
    self.totalSupply += _value
    self.balanceOf[_to] += _value
    log Transfer(sender=empty(address), receiver=_to, value=_value)


@internal
def _transfer(_from: address, _to: address, _value: uint256):
    assert _to != empty(address), "zero address"
    assert self.balanceOf[_from] >= _value, "insufficient balance"
    self.balanceOf[_from] -= _value
    # cannot overflow: every balance is bounded by totalSupply
    self.balanceOf[_to] += _value
    log Transfer(sender=_from, receiver=_to, value=_value)


@external
def transfer(_to: address, _value: uint256) -> bool:
    self._transfer(msg.sender, _to, _value)
    return True


@external
def transferFrom(_from: address, _to: address, _value: uint256) -> bool:
    allowed: uint256 = self.allowance[_from][msg.sender]
    if allowed != max_value(uint256):
        assert allowed >= _value, "insufficient allowance"
        self.allowance[_from][msg.sender] = allowed - _value
    self._transfer(_from, _to, _value)
    return True


@external
def approve(_spender: address, _value: uint256) -> bool:
    assert _spender != empty(address), "zero address"
    self.allowance[msg.sender][_spender] = _value
    log Approval(owner=msg.sender, spender=_spender, value=_value)
    return True
