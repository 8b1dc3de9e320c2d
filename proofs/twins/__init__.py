"""Symbolic twins of the constraint dimensions (see `SymbolicTwin`)."""

from __future__ import annotations

from proofs.twins._concrete import ConcreteTwin, decide
from proofs.twins._protocol import SymbolicTwin
from proofs.twins.communication import CommunicationTwin
from proofs.twins.cost import CostTwin
from proofs.twins.data_access import DataAccessTwin
from proofs.twins.rate import RateTwin
from proofs.twins.resources import PathTwin, ResourcesTwin
from proofs.twins.time_window import TimeWindowTwin


def builtin_twins() -> dict[str, SymbolicTwin]:
    """The twin the laws are proved on, for each built-in dimension, by dimension name."""
    return {
        "cost_limit": CostTwin(),
        "time_window": TimeWindowTwin(),
        "resources": ResourcesTwin(),
        "rate_limit": RateTwin(),
        "data_access": DataAccessTwin(),
        "communication": CommunicationTwin(),
    }


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
    "builtin_twins",
    "decide",
]
