"""The route table: path → screen builder (and which roles may open it)."""

from __future__ import annotations

from app.ui.screens import home, login
from app.ui.shell import Route

ROUTES: dict[str, Route] = {
    "/login": Route("/login", login.build),
    "/": Route("/", home.build),
}


def resolve(path: str) -> Route:
    return ROUTES.get(path, ROUTES["/"])
