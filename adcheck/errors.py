"""Error boundary: every expected failure is an AdcheckError with a one-line, actionable message."""

from __future__ import annotations


class AdcheckError(Exception):
    """Base class for expected failures; the CLI prints the message and exits 1."""

    exit_code = 1


class InputDataError(AdcheckError):
    """An input file or text cannot be used as given (missing column, bad encoding, ...)."""


class ModelFileError(AdcheckError):
    """A model folder is missing, altered, foreign or incompatible with this installation."""


class TrainingError(AdcheckError):
    """Training cannot proceed with the given data or options."""
