"""Building frozen attrs values from values the library has already checked.

An ``@attrs.frozen`` class validates and converts every field, then sets each one through
``object.__setattr__``: right for values users build, too slow for the ones the runtime
builds on every transition from inputs it has already checked. `unchecked_constructor`
returns a positional function that fills the slots directly and skips the checks; use it
only where every argument is known to be valid.

The fastest way to fill a frozen class's slots is not to go through the class at all: a
plain *twin* class with the very same slots is filled by ordinary attribute stores (which
the interpreter specialises), and the finished object is then given the frozen class as
its ``__class__``, which Python allows between classes of identical layout. That halves
the cost of a 13-field result. CPython refuses the switch when the class also has a
``__weakref__`` slot, so the hot-path values are declared with ``weakref_slot=False``;
for any other class the constructor sets each slot through its descriptor instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

T = TypeVar("T")

EMPTY_FIXED: Mapping[str, object] = MappingProxyType({})


def unchecked_constructor(
    cls: type[T], fixed: Mapping[str, object] = EMPTY_FIXED
) -> Callable[..., T]:
    """``make(field1, field2, ...)`` in field order, without validators or converters.

    Fields named in ``fixed`` are not parameters: every value made holds the value given
    there (for a hot path whose values always share some fields).

    Raises:
        TypeError: ``cls`` is not a slotted attrs class.
        ValueError: ``fixed`` names a field ``cls`` does not have.
    """
    if not attrs.has(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} must be a slotted attrs class")
    names = [f.name for f in attrs.fields(cls)]
    unknown = sorted(set(fixed) - set(names))
    if unknown:
        raise ValueError(f"fixed must name fields of {cls.__name__}, got {unknown}")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    namespace.update({f"_fixed_{name}": value for name, value in fixed.items()})
    values = {name: f"_fixed_{name}" if name in fixed else name for name in names}
    twin = _layout_twin(cls, names)
    # One line per field, as attrs itself generates __init__: a loop would cost more.
    if twin is not None:
        namespace["_twin"] = twin
        body = [f"    obj.{name} = {values[name]}" for name in names]
        source = ["    obj = _new(_twin)", *body, "    obj.__class__ = _cls"]
    else:
        for name in names:
            namespace[f"_set_{name}"] = getattr(cls, name).__set__
        source = [
            "    obj = _new(_cls)",
            *(f"    _set_{name}(obj, {values[name]})" for name in names),
        ]
    parameters = ", ".join(name for name in names if name not in fixed)
    code = f"def make({parameters}):\n" + "\n".join(source) + "\n    return obj\n"
    exec(compile(code, f"<unchecked constructor of {cls.__name__}>", "exec"), namespace)
    make: Callable[..., T] = namespace["make"]
    return make


def _layout_twin(cls: type, names: list[str]) -> type | None:
    """A mutable class whose instances may become ``cls`` instances; None if there is none.

    Whether Python accepts the switch is decided by trying it once, here, rather than by
    restating its layout rules.
    """
    if cls.__base__ is not object or set(cls.__dict__["__slots__"]) != set(names):
        return None
    twin = type(f"_{cls.__name__}Twin", (), {"__slots__": tuple(names)})
    probe: object = object.__new__(twin)
    try:
        probe.__class__ = cls
    except TypeError:
        return None
    return twin
