"""Symbolic twins of the constraint dimensions (see `SymbolicTwin`).

Which twin stands for which dimension is stated once, in `CATALOGUE` (by the built-in's
exact class); `builtin_twins`, `law_twin` and `witness_twin` all read it.
"""

from __future__ import annotations

from trust.proofs.twins._catalogue import CATALOGUE, Entry, builtin_twins, law_twin, witness_twin
from trust.proofs.twins._concrete import ConcreteTwin, decide
from trust.proofs.twins._protocol import SymbolicTwin
from trust.proofs.twins.communication import CommunicationTwin
from trust.proofs.twins.cost import CostTwin
from trust.proofs.twins.data_access import DataAccessTwin
from trust.proofs.twins.rate import RateTwin
from trust.proofs.twins.resources import PathTwin, ResourcesTwin
from trust.proofs.twins.time_window import TimeWindowTwin

__all__ = [
    "CATALOGUE",
    "CommunicationTwin",
    "ConcreteTwin",
    "CostTwin",
    "DataAccessTwin",
    "Entry",
    "PathTwin",
    "RateTwin",
    "ResourcesTwin",
    "SymbolicTwin",
    "TimeWindowTwin",
    "builtin_twins",
    "decide",
    "law_twin",
    "witness_twin",
]
