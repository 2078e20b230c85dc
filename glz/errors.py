"""Errors the command line turns into a message and an exit code, never a traceback."""


class UserInputError(Exception):
    """Bad input from the user (stack name, file, config): exit code 2."""

    exit_code = 2
