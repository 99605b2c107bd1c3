"""Exceptions that mean "the user asked for something impossible", shown as one line."""


class UserError(Exception):
    """A mistake in the user's input or environment (missing file, bad option, ...)."""
