"""Gauntlet: permissionless peers in timed windows scored by templar's validator (v0.2.88).

Modules: :mod:`presets` (every constant), :mod:`learner` (spec section 10.1),
:mod:`torch_learner` (a small torch MLP, the second learner),
:mod:`compress` (top-k with error feedback), :mod:`behaviours` (the zoo mapped to peer
actions), :mod:`peers`, :mod:`mechanism` (the validator), :mod:`weights` (weight maps,
Yuma), :mod:`protocol` (SimPy windows), :mod:`family`, :mod:`audit`, :mod:`plots`.
"""

from mechsim.gauntlet import behaviours, learner, mechanism, torch_learner  # noqa: F401  (registers components)
from mechsim.gauntlet import audit  # noqa: F401,E402  (registers the audit builder)
from mechsim.gauntlet import family  # noqa: F401,E402
