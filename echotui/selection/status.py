"""What can run here: which providers, on which backends, and why not.

Each provider class says so itself (`Provider.status`): status checks are cheap and import no engine
(packages are looked up with `importlib.util.find_spec`, the voxtral.c binary and model folder are checked
as the provider checks them). Every reason is one short sentence a user can act on.
"""

from __future__ import annotations

from echotui.config import Settings
from echotui.providers.machine import GPU_NAMES, Hardware, ProviderStatus
from echotui.providers.registry import PROVIDERS

__all__ = ["GPU_NAMES", "ProviderStatus", "provider_statuses"]


def provider_statuses(hw: Hardware, settings: Settings) -> list[ProviderStatus]:
    """Every provider's status on `hw` with `settings`, in the registry's order."""
    return [cls.status(hw, settings) for cls in PROVIDERS.values()]
