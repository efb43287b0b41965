"""Two hot spots of Flet 1.0.5's server side, done with less work and the same result
(issue 17: one process served ~150 patients checking in before its core was full).

1. `FletApp.send_message` formats every outgoing message for a debug log line that is
   off (`transport_log.debug(f"send_message: {message}")`): the f-string runs `repr()` on
   the patch, and a new screen's patch holds its whole control tree, so every route
   change paid a full dataclass repr of ~200 controls (about 3 ms of the check-in form's
   ~20) for text nobody reads. Ours logs it only when that logger is on for DEBUG.
2. `DiffBuilder._configure_dataclass`, run on every control a patch adds (a new screen:
   all of them), recursed through *every* field of every control, making a generator
   per field even for the scalars that make up nearly all of them (a TextField has over
   a hundred fields) and rebuilding `dataclasses.fields()` each time. Ours walks the
   same fields in the same order, does the same things to each dataclass, but steps over
   scalar values, which the original's recursion returned from without doing anything.

Both are pinned to the Flet version they were read from: with another version `install`
leaves Flet alone (and says so in the log), so an upgrade cannot run stale copies.
tests/ui/test_flet_speedups.py checks that a screen's patch and the controls it adds are
the same with and without them.
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from collections.abc import Iterator
from enum import Enum
from typing import Any

import msgpack
from flet.controls.base_control import BaseControl
from flet.controls.object_patch import DiffBuilder, ObjectPatchException, _control_setattr
from flet.messaging.protocol import Message, configure_encode_object_for_msgpack
from flet.version import flet_version
from flet_web.fastapi import flet_app

log = logging.getLogger(__name__)

FOR_VERSION = "1.0.5"
_SCALARS = (str, int, float, bool, bytes, Enum)
_transport_log = logging.getLogger("flet_transport")
_patch_log = logging.getLogger("flet_object_patch")
_encode = configure_encode_object_for_msgpack(BaseControl)  # stateless: one for all
_originals: dict[str, Any] = {}
_field_names: dict[type, tuple[str, ...]] = {}


def send_message(self: flet_app.FletApp, message: Message) -> None:
    """FletApp.send_message without formatting the message for a log line that is off."""
    if _transport_log.isEnabledFor(logging.DEBUG):
        _transport_log.debug("send_message: %s", message)
    body = msgpack.packb([message.action, message.body], default=_encode)
    self._FletApp__send_queue.put_nowait(b"\x00" + body)


def _walked_fields(cls: type) -> tuple[str, ...]:
    """The fields the original recursed into: every dataclass field not marked skip."""
    names = _field_names.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls)
                      if not f.metadata.get("skip", False))
        _field_names[cls] = names
    return names


def configure_dataclass(self: DiffBuilder, item: Any, parent: Any, frozen: bool,
                        configure_setattr_only: bool = False) -> Iterator[Any]:
    """DiffBuilder._configure_dataclass (flet 1.0.5), stepping over scalar field values.

    Same order of visits and yields, same side effects: a value that is not a dataclass,
    dict or list made the original return at once, so skipping it changes nothing."""
    is_dataclass: bool = dataclasses.is_dataclass(item)  # (no narrowing: item stays Any)
    if is_dataclass:
        if _patch_log.isEnabledFor(logging.DEBUG):
            _patch_log.debug("\n_configure_dataclass: %s %s %s", item, frozen,
                             configure_setattr_only)
        if parent is None:
            parent_ref = getattr(item, "_parent", None)
            parent = parent_ref() if parent_ref else None
        if parent:
            if parent is item:
                raise ObjectPatchException(f"Parent is the same as item: {item}")
            item._parent = weakref.ref(parent)
        if hasattr(item, "_frozen"):
            frozen = item._frozen
        elif frozen:
            item._frozen = frozen
        item_cls = item.__class__
        if getattr(item_cls, "__flet_control_cls__", None) is None:
            item_cls.__flet_control_cls__ = self.control_cls
        control_cls: Any = self.control_cls
        is_control = bool(control_cls) and isinstance(item, control_cls)
        if is_control:
            if not configure_setattr_only:
                item.build()
                item._before_update_safe()
                object.__setattr__(item, "_initialized", True)
            yield item
        if not configure_setattr_only:
            child_parent = item if is_control else parent
            for name in _walked_fields(item_cls):
                value = getattr(item, name)
                if value is None or isinstance(value, _SCALARS):
                    continue
                yield from configure_dataclass(self, value, child_parent, frozen)
        if not frozen:
            dst_dirty = getattr(item, "_dirty", None)
            if dst_dirty is not None:
                dst_dirty.clear()
            else:
                if item_cls.__setattr__ is not _control_setattr:
                    item_cls.__setattr__ = _control_setattr
                object.__setattr__(item, "__changes", {})
    elif isinstance(item, dict):
        for value in item.values():
            yield from configure_dataclass(self, value, parent, frozen)
    elif isinstance(item, list):
        for value in item:
            yield from configure_dataclass(self, value, parent, frozen)


def install() -> bool:
    """Put both in place (once); False, changing nothing, on a Flet they were not read from."""
    if _originals:
        return True
    if flet_version != FOR_VERSION:
        log.warning("Flet %s, not %s: its own send_message and diff kept", flet_version,
                    FOR_VERSION)
        return False
    _originals["send_message"] = flet_app.FletApp.send_message
    _originals["configure"] = DiffBuilder._configure_dataclass
    flet_app.FletApp.send_message = send_message
    DiffBuilder._configure_dataclass = configure_dataclass  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """Flet's own again (for tests that compare the two)."""
    if _originals:
        flet_app.FletApp.send_message = _originals.pop("send_message")
        DiffBuilder._configure_dataclass = _originals.pop("configure")  # type: ignore[method-assign]
