"""Domain errors: raised by the library, turned into one-line CLI errors by the CLI layer only."""

from __future__ import annotations


class SDGAlignError(Exception):
    """Base class for every error a user can cause and fix (bad input, missing model, ...)."""


class DataError(SDGAlignError):
    """An input table or dataset cannot be read or lacks what is needed."""


class ModelError(SDGAlignError):
    """A model directory is missing, unreadable or inconsistent."""


class Interrupted(SDGAlignError):
    """The user stopped a long run (Ctrl-C); the message says what was kept and how to go on."""

    exit_code = 130


class SDGAlignWarning(UserWarning):
    """What the API caller should know about a result (rows not scored, a profile's limits):
    ``warnings.warn`` shows it in a notebook; the CLI prints its own lines and silences these."""
