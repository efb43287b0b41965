"""A Flet 1.0 web client without a browser: it speaks the websocket protocol the Flutter
client speaks (flet/messaging/protocol.py, flet_web/fastapi/flet_app.py), so a benchmark
can run hundreds of simulated patients on a machine that could not run ten Chromiums.

What it does, like the browser:
- connects to `/ws`, sends REGISTER_CLIENT with the route and the page size
  (`[1, {session_id, page_name, page}]`, each frame `0x00` + msgpack);
- keeps a mirror of the control tree: the register answer's page, then every
  PATCH_CONTROL applied in order (ops `[kind, node, key, value]`, kind 0 replace, 1 add,
  2 remove, 3 move, on the nodes of the patch's path table);
- answers the server's INVOKE_METHOD calls: `push_route` moves to the route (props update
  of the page's `route`, then its `route_change` event), everything else (the browser's
  storage, focus) answers None;
- sends events: a click on a control id, a text field's value.

It does not draw anything: the mirror is only as complete as finding controls by their
text or screen-reader label needs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import websockets

REGISTER_CLIENT, PATCH_CONTROL, CONTROL_EVENT, UPDATE_CONTROL_PROPS, INVOKE_METHOD = 1, 2, 3, 4, 5
SESSION_CRASHED = 6
REPLACE, ADD, REMOVE, MOVE = 0, 1, 2, 3
TEXT_KEYS = ("value", "content", "text", "label", "semantics_label", "tooltip")

Control = dict[str, Any]


def _ext(code: int, data: bytes) -> Any:
    """Flet's msgpack extensions (dates, times, durations): kept as text, nobody reads them."""
    return data.decode("utf-8", "replace") if code in (1, 2, 4) else data


class SessionCrashed(RuntimeError):
    """The server sent SESSION_CRASHED (an event handler raised)."""


class FletClient:
    """One browser tab's worth of Flet protocol over one websocket."""

    def __init__(self, url: str, route: str = "/", width: int = 412, height: int = 915) -> None:
        self.ws_url = url.replace("http", "ws", 1).rstrip("/") + "/ws"
        self.route = route
        self.width, self.height = width, height
        self.page: Control = {}
        self.index: dict[int, Control] = {}
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.crashed: str | None = None
        self.received_bytes = 0

    # -- connection -------------------------------------------------------------------

    async def connect(self) -> None:
        self._ws = await websockets.connect(self.ws_url, max_size=None, compression=None,
                                            open_timeout=60, ping_interval=None)
        page = {"route": self.route, "web": True, "platform": "linux",
                "platform_brightness": "light", "width": float(self.width),
                "height": float(self.height), "window": {"width": float(self.width),
                                                        "height": float(self.height)}}
        await self._send(REGISTER_CLIENT, {"session_id": None, "page_name": "", "page": page})
        first = await self._ws.recv()
        action, body = self._decode(first)
        if action != REGISTER_CLIENT or body.get("error"):
            raise RuntimeError(f"register failed: {body.get('error')!r}")
        self.page = body["page_patch"]
        self._reindex()
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    # -- what a browser sends -----------------------------------------------------------

    async def click(self, control: Control) -> None:
        await self._send(CONTROL_EVENT, {"target": control["_i"], "name": "click", "data": None})

    async def type_into(self, field: Control, text: str) -> None:
        field["value"] = text
        await self._send(UPDATE_CONTROL_PROPS, {"id": field["_i"], "props": {"value": text}})
        if field.get("on_change"):
            await self._send(CONTROL_EVENT, {"target": field["_i"], "name": "change",
                                             "data": text})

    async def navigate(self, route: str) -> None:
        """What the router does after pushState: the page's route, then route_change."""
        self.route = route
        self.page["route"] = route
        await self._send(UPDATE_CONTROL_PROPS, {"id": self.page["_i"], "props": {"route": route}})
        await self._send(CONTROL_EVENT, {"target": self.page["_i"], "name": "route_change",
                                         "data": {"route": route}})

    # -- finding controls ----------------------------------------------------------------

    def controls(self) -> Iterator[tuple[Control, list[Control]]]:
        """Every control of the current (last) view, with its ancestors."""
        views = self.page.get("views") or []
        stack: list[tuple[Any, list[Control]]] = [(views[-1], [])] if views else []
        # Dialogs and snack bars live in the page's overlay/dialogs, not the view.
        for extra in ("_dialogs", "_overlay", "overlay"):
            holder = self.page.get(extra)
            if holder:
                stack.append((holder, []))
        while stack:
            node, ancestors = stack.pop()
            if isinstance(node, dict):
                if "_i" in node:
                    yield node, ancestors
                    ancestors = [*ancestors, node]
                for key, value in node.items():
                    if isinstance(value, (dict, list)) and not key.startswith("__"):
                        stack.append((value, ancestors))
            elif isinstance(node, list):
                for item in node:
                    if isinstance(item, (dict, list)):
                        stack.append((item, ancestors))

    def find(self, text: str, *, exact: bool = True) -> Control | None:
        """The control showing or named `text` (its value, content, label or screen-reader
        label); for a label inside a button, the button (the nearest one that takes clicks)."""
        for control, ancestors in self.controls():
            if any(_matches(control.get(k), text, exact) for k in TEXT_KEYS):
                for candidate in (control, *reversed(ancestors)):
                    if candidate.get("on_click") or candidate.get("on_select") or \
                            candidate.get("_c") in ("TextField",):
                        return candidate
                return control
        return None

    def has(self, text: str, *, exact: bool = True) -> bool:
        return self.find(text, exact=exact) is not None

    async def wait_for(self, found: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Wait until `found()` answers something truthy after a message arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.crashed:
                raise SessionCrashed(self.crashed)
            result = found()
            if result:
                return result
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError("condition not met")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def wait_text(self, text: str, timeout: float = 30.0, exact: bool = True) -> Control:
        result: Control = await self.wait_for(lambda: self.find(text, exact=exact), timeout)
        return result

    # -- protocol ----------------------------------------------------------------------

    async def _send(self, action: int, body: Any) -> None:
        await self._ws.send(b"\x00" + msgpack.packb([action, body]))

    def _decode(self, frame: bytes) -> tuple[int, Any]:
        self.received_bytes += len(frame)
        if not frame or frame[0] != 0:
            return -1, None
        action, body = msgpack.unpackb(frame[1:], ext_hook=_ext, strict_map_key=False)
        return action, body

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                action, body = self._decode(frame)
                if action == PATCH_CONTROL:
                    self._apply(body["id"], body["patch"])
                elif action == INVOKE_METHOD:
                    await self._invoked(body)
                elif action == SESSION_CRASHED:
                    self.crashed = str(body.get("message", ""))[:300]
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self._changed.set()

    async def _invoked(self, body: dict[str, Any]) -> None:
        if body.get("name") == "push_route":
            await self.navigate(body["args"]["route"])
        await self._send(INVOKE_METHOD, {"control_id": body["control_id"],
                                         "call_id": body["call_id"], "result": None,
                                         "error": None})

    def _apply(self, control_id: int, patch: list[Any]) -> None:
        root = self.index.get(control_id)
        if root is None:
            return
        parents: dict[int, tuple[int, Any]] = {}

        def walk(node: list[Any]) -> None:
            if len(node) > 1:
                for key, child in node[1].items():
                    parents[child[0]] = (node[0], key)
                    walk(child)

        walk(patch[0])

        def resolve(node_id: int) -> Any:
            keys = []
            while node_id != 0:
                node_id, key = parents[node_id]
                keys.append(key)
            obj: Any = root
            for key in reversed(keys):
                obj = obj[key]
            return obj

        for op in patch[1:]:
            kind = op[0]
            if kind == MOVE:
                source = resolve(op[1])
                value = source.pop(op[2])
                target = resolve(op[3])
                target.insert(op[4], value)
                continue
            obj = resolve(op[1])
            key = op[2]
            if kind == REPLACE:
                obj[key] = op[3]
                self._index_tree(op[3])
            elif kind == ADD:
                if isinstance(obj, list):
                    obj.insert(key, op[3])
                else:
                    obj[key] = op[3]
                self._index_tree(op[3])
            elif kind == REMOVE:
                obj.pop(key) if isinstance(obj, list) else obj.pop(key, None)

    def _reindex(self) -> None:
        self.index.clear()
        self._index_tree(self.page)

    def _index_tree(self, node: Any) -> None:
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if "_i" in item:
                    self.index[item["_i"]] = item
                stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
            elif isinstance(item, list):
                stack.extend(v for v in item if isinstance(v, (dict, list)))


def _matches(value: Any, text: str, exact: bool) -> bool:
    if not isinstance(value, str):
        return False
    return value == text if exact else text in value
