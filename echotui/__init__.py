"""echotui: a terminal live transcriber."""

__version__ = "0.1.0"

SAMPLE_RATE = 16_000
"""Every sample inside echotui is mono float32 at this rate."""
