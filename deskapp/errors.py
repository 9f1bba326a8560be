"""One family of errors a person can act on.

Services raise these with a message already in the operator's language;
screens show ``message`` beside the field named by ``field``, and the CLI
prints it and exits non-zero. Anything else reaching a person is a defect.
"""

from __future__ import annotations


class DeskError(Exception):
    """A refusal the operator can act on: what is wrong and what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(DeskError):
    """The thing asked for does not exist (a room, an operator, a record)."""


class InvalidInput(DeskError):
    """A value was refused: bad format, too long, out of range."""


class Conflict(DeskError):
    """The change collides with what is already there (a duplicate, a double hand-out)."""


class AuthError(DeskError):
    """Sign-in refused: wrong PIN, locked out, disabled operator, missing role."""


class StorageError(DeskError):
    """The database cannot be opened or written: path, permissions, server, version."""
