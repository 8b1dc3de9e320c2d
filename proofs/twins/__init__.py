"""Symbolic twins of the constraint dimensions (see `SymbolicTwin`).

Which twin stands for which built-in dimension is stated once, in `proofs.CATALOGUE` (by
the built-in's exact class), with everything else the proofs know about each built-in.
"""

from __future__ import annotations

from trust.proofs.twins._concrete import ConcreteTwin, decide
from trust.proofs.twins._protocol import SymbolicTwin
from trust.proofs.twins.communication import CommunicationTwin
from trust.proofs.twins.cost import CostTwin
from trust.proofs.twins.data_access import DataAccessTwin
from trust.proofs.twins.rate import RateTwin
from trust.proofs.twins.resources import PathTwin, ResourcesTwin
from trust.proofs.twins.time_window import TimeWindowTwin

__all__ = [
    "CommunicationTwin",
    "ConcreteTwin",
    "CostTwin",
    "DataAccessTwin",
    "PathTwin",
    "RateTwin",
    "ResourcesTwin",
    "SymbolicTwin",
    "TimeWindowTwin",
    "decide",
]
