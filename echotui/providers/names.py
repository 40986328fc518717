"""How providers are spelled: each engine's name as `--provider` takes it, "auto", and the seed server's
older spellings. Imports nothing of echotui's but errors, so settings can check a name without loading any
engine module (`providers.registry` maps these names to the classes)."""

from __future__ import annotations

from echotui.errors import EchoError

WHISPERCPP = "whispercpp"
FASTER_WHISPER = "faster-whisper"
VOXTRAL = "voxtral"
REMOTE = "remote"
WYOMING = "wyoming"
PROVIDER_NAMES = (WHISPERCPP, FASTER_WHISPER, VOXTRAL, REMOTE, WYOMING)
"""Every provider, in the registry's order (a test checks the registry lists the same)."""
AUTO = "auto"
SEED_NAMES = {"whisper_cpp": WHISPERCPP, "faster_whisper": FASTER_WHISPER, "voxtral_realtime": VOXTRAL}
"""The spellings of the seed server's documented ECHOPANEL_ASR_PROVIDER values."""


def provider_names(auto: bool = False) -> tuple[str, ...]:
    """The providers' names as `--provider` takes them, "auto" first when asked for."""
    return (AUTO, *PROVIDER_NAMES) if auto else PROVIDER_NAMES


def canonical_name(name: str) -> str:
    """The provider's own name for `name` (the seed's spellings and any case accepted; "auto" kept)."""
    key = name.strip().lower()
    key = SEED_NAMES.get(key, key)
    if key != AUTO and key not in PROVIDER_NAMES:
        raise EchoError(f"unknown provider {name!r}: choose one of {', '.join(provider_names(auto=True))}")
    return key
