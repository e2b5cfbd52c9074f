"""The state store interface: load a shard's state, save it only if nobody else saved since."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


class StateConflictError(Exception):
    """Someone else (the shard's new lease owner) saved since we loaded: our state is stale."""


class StateTooLargeError(Exception):
    """The compressed state is over the store's item limit; lower TSLAKE_ALLOWED_LATENESS_MS."""


@dataclass(frozen=True)
class StoredState:
    blob: bytes
    version: int


class StateStore(ABC):
    @abstractmethod
    def load(self, key: str) -> StoredState | None:
        """The latest saved state for `key`, or None if there is none."""

    @abstractmethod
    def save(self, key: str, blob: bytes, expected_version: int) -> int:
        """Save if the stored version is still `expected_version` (0: nothing stored); returns the new one."""
