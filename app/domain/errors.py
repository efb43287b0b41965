"""Domain exceptions.

    DomainError
    ├── InvalidInput      one or more fields were rejected; `problems` maps field → message
    ├── NotAllowed        the acting account may not do this (access control)
    ├── Conflict          someone else changed the entry first (the store raises its
    │                     VersionConflict, a subclass, so callers need not know the store)
    └── NotFound          no such record (or not visible to the actor)

Messages are written for the person who typed the value, not for a developer.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base class of every rule the domain enforces."""


class InvalidInput(DomainError):
    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.problems.items()))

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls({field: message})


class NotAllowed(DomainError):
    pass


class Conflict(DomainError):
    pass


class NotFound(DomainError):
    pass
