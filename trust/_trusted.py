"""Building frozen attrs values from values the library has already checked.

An ``@attrs.frozen`` class validates and converts every field, then sets each one through
``object.__setattr__``: right for values users build, too slow for the ones the runtime
builds on every transition from inputs it has already checked. `trusted_constructor`
returns a positional function that fills the slots directly and skips the checks; use it
only where every argument is known to be valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

T = TypeVar("T")


def trusted_constructor(cls: type[T]) -> Callable[..., T]:
    """``make(field1, field2, ...)`` in field order, without validators or converters.

    Raises:
        TypeError: ``cls`` is not a slotted attrs class.
    """
    if not attrs.has(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} must be a slotted attrs class")
    fields = attrs.fields(cls)
    names = [f.name for f in fields]
    # One line per field, as attrs itself generates __init__: a loop would cost more.
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    for name in names:
        namespace[f"_set_{name}"] = getattr(cls, name).__set__
    body = "\n".join(f"    _set_{name}(obj, {name})" for name in names)
    source = f"def make({', '.join(names)}):\n    obj = _new(_cls)\n{body}\n    return obj\n"
    exec(compile(source, f"<trusted constructor of {cls.__name__}>", "exec"), namespace)
    make: Callable[..., T] = namespace["make"]
    return make
