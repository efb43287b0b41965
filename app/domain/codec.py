"""Turn domain dataclasses into JSON-able dicts and back, driven by their type hints.

Datetimes travel as ISO-8601 strings with offset, dates as ISO dates, enums as values,
tuples as lists. Pure: the store and the export both use it.

`from_json` trusts what it reads (the store wrote it). `from_json(..., strict=True)` is for
data from outside (an import): every key must be a field, every field without a default
must be there, every value must have its field's type (no "7" for 7, no true for 1), and
times must carry a zone; otherwise it raises DecodeError naming the field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_json(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, tuple | list):
        return [to_json(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): to_json(value) for key, value in obj.items()}
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class DecodeError(ValueError):
    """A value from outside does not fit the dataclass; `field` is its dotted path."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def from_json(cls: type[T], raw: dict[str, Any], *, strict: bool = False) -> T:
    if strict:
        return typing.cast(T, _strict(cls, raw, ""))
    hints = _hints(typing.cast(type, cls))
    kwargs = {
        f.name: _decode(hints[f.name], raw[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in raw
    }
    return cls(**kwargs)


def _strict(hint: Any, value: Any, path: str) -> Any:
    """Decode one value checking its type exactly; raises DecodeError at `path`."""
    where = path or "value"
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if value is None and len(non_none) < len(args):
            return None
        if len(non_none) != 1:
            raise DecodeError(where, "has a type this check does not know")
        return _strict(non_none[0], value, path)
    if value is None:
        raise DecodeError(where, "is missing (null)")
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _strict_dataclass(hint, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise DecodeError(where, "should be a list")
        item = args[0]
        return tuple(_strict(item, v, f"{path}.{i}" if path else str(i))
                     for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise DecodeError(where, "should be an object")
        return {_strict(args[0], k, f"{path}.{k}"): _strict(args[1], v, f"{path}.{k}")
                for k, v in value.items()}
    if hint is datetime:
        moment = _parsed(datetime, value, where)
        if moment.tzinfo is None:
            raise DecodeError(where, "has no time zone")
        return moment
    if hint is date:
        return _parsed(date, value, where)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in hint)
            raise DecodeError(where, f"should be one of {allowed}") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise DecodeError(where, "should be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DecodeError(where, "should be a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DecodeError(where, "should be a number")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise DecodeError(where, "should be text")
        return value
    raise DecodeError(where, "has a type this check does not know")


def _strict_dataclass(cls: type, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise DecodeError(path or "value", "should be an object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in value:
        if key not in fields:
            raise DecodeError(f"{path}.{key}" if path else str(key), "is not a known field")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for name, spec in fields.items():
        where = f"{path}.{name}" if path else name
        if name not in value:
            if spec.default is dataclasses.MISSING and \
                    spec.default_factory is dataclasses.MISSING:
                raise DecodeError(where, "is missing")
            continue
        kwargs[name] = _strict(hints[name], value[name], where)
    return cls(**kwargs)


def _parsed(kind: type[date], value: Any, where: str) -> Any:
    if not isinstance(value, str):
        raise DecodeError(where, "should be an ISO date or time as text")
    try:
        return kind.fromisoformat(value)
    except ValueError:
        raise DecodeError(where, "is not an ISO date or time") from None


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _decode(non_none[0], value) if len(non_none) == 1 else value
    if origin is tuple:
        return tuple(_decode(args[0], item) for item in value)
    if origin is dict:
        return {_decode(args[0], k): _decode(args[1], v) for k, v in value.items()}
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return from_json(hint, value)
    if hint is int and isinstance(value, str):
        return int(value)
    return value
