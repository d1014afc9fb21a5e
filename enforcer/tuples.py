"""``typing.NamedTuple``'s class syntax, at run time without importing ``typing``.

A hook pays for every module it imports, and ``typing`` (with ``re``, which
it imports) is among the dearest. The type checker sees the real
``typing.NamedTuple``; at run time the same class bodies become
``collections.namedtuple`` subclasses with their methods and properties.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    class _Meta(type):
        def __new__(mcls, name, bases, namespace):
            if not bases:  # NamedTuple itself
                return super().__new__(mcls, name, bases, namespace)
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = [namespace[field] for field in fields if field in namespace]  # trailing, as in typing
            base = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            body = {key: value for key, value in namespace.items() if key not in fields}
            return type(name, (base,), {**body, "__slots__": ()})

    class NamedTuple(metaclass=_Meta):
        pass
