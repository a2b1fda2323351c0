"""Errors a user can cause. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations


class UserError(Exception):
    """Bad input, config or usage: printed as one line, exit code 1, no traceback."""

    exit_code = 1


class ConfigError(UserError):
    """A pipeline recipe or option is invalid; the message names the offending key."""

    exit_code = 2
