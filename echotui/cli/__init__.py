"""The `echotui` command line."""

from echotui.cli.parser import main

__all__ = ["main"]
