"""What a provider is told about the machine and what it says back: the `Hardware` facts, an `Engine`
configuration (where it runs, with which compute type), and its `ProviderStatus` here. Plain data, so the
provider classes can declare their rules on them and `selection` can detect, ask and compare."""

from __future__ import annotations

from dataclasses import dataclass

GPU_NAMES = {"metal": "Metal", "cuda": "CUDA", "cpu": "the CPU"}


@dataclass(frozen=True)
class Hardware:
    """What auto-selection needs to know about the machine.

    Attributes:
        os: "darwin", "linux" or "windows".
        arch: machine architecture as the OS reports it ("arm64", "x86_64", ...).
        apple_silicon: an Apple M-series Mac (also when Python runs under Rosetta).
        ram_gb: physical memory in GiB.
        cores: CPU cores this process may use.
        cuda_devices: CUDA devices CTranslate2 sees (0 without CUDA or without CTranslate2).
        whispercpp_gpu: the GPU backend the installed whisper.cpp build can use here ("metal", "cuda"),
            or None when it runs on the CPU only.
        cpu_model: the CPU's name, for the cache fingerprint.
    """

    os: str
    arch: str
    apple_silicon: bool
    ram_gb: float
    cores: int
    cuda_devices: int = 0
    whispercpp_gpu: str | None = None
    cpu_model: str = ""

    def fingerprint(self) -> str:
        """A stable string naming this machine's speed-relevant facts, used as a cache key."""
        gpu = self.whispercpp_gpu or "cpu"
        return (
            f"{self.os}/{self.arch}/{self.cpu_model or 'unknown cpu'}/{self.cores} cores/"
            f"{round(self.ram_gb)} GB/whispercpp {gpu}/{self.cuda_devices} cuda"
        )

    @property
    def intel_mac(self) -> bool:
        return self.os == "darwin" and not self.apple_silicon


@dataclass(frozen=True)
class Engine:
    """An engine configuration: provider, device and compute type."""

    provider: str
    device: str
    compute: str


@dataclass(frozen=True)
class ProviderStatus:
    """One provider on this machine.

    Attributes:
        name: provider name as `--provider` takes it.
        available: it can run here with these settings.
        reason: one sentence: why it is (not) available and where it runs.
        backends: where it can run here ("metal", "cuda", "cpu"), best first.
        default_model: the model it uses when none is chosen.
    """

    name: str
    available: bool
    reason: str
    backends: tuple[str, ...]
    default_model: str
