"""Which store a breaker keeps its circuits in: its posture machine's, or none.

A trip writes its circuit row and the protective downgrade in one transaction, so the
only store a breaker can use is its machine's: ``store=None`` means that one (memory when
the machine has none), and any other store is a `ValueError` naming it.
"""

from __future__ import annotations

from typing import Any

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust.postures import PostureStateMachine


def durable_of(
    machine: PostureStateMachine, store: object, auto_refresh: object
) -> tuple[Any, bool] | None:
    """The machine's `Durable` part and whether to refresh, if the breaker is stored.

    The trip's row and its protective downgrade commit in one transaction, so the only
    store a breaker can use is its machine's.
    """
    durable = machine.durable
    if auto_refresh is not None and not isinstance(auto_refresh, bool):
        raise InvalidTypeError(f"auto_refresh must be a bool, got {check.shown(auto_refresh)}")
    if store is None:
        if durable is None:
            if auto_refresh is not None:
                raise InvalidValueError(
                    "auto_refresh needs a store (the posture machine has none), "
                    f"got {auto_refresh!r}"
                )
            return None
    elif durable is None or (
        store is not durable.store and not (type(store) is str and store == durable.store.url)
    ):
        kept = "no store" if durable is None else f"the store {durable.store.url}"
        raise InvalidValueError(
            "store must be the posture machine's store (a trip and its protective "
            f"downgrade commit in one transaction; the machine has {kept}), "
            f"got {check.shown(store)}"
        )
    if auto_refresh is None:
        auto_refresh = durable._cache._thread is not None
    return durable, auto_refresh
