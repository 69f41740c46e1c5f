"""The emulator's configuration: one frozen, keyword-only object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from gateway.emulator.versions import DEFAULT_VERSION, VERSIONS, ApiVersion

__all__ = ["DEFAULT_DB_PATH", "DEMO_API_KEY", "DEMO_INSTANCE_ID", "EmulatorConfig"]

#: A deterministic, non-secret key so that README examples work out of the box.
DEMO_API_KEY = "metorial_sk_demo_local_emulator_key"
DEMO_INSTANCE_ID = "demo"
DEFAULT_DB_PATH = ".data/emulator.sqlite3"


@dataclass(frozen=True, kw_only=True)
class EmulatorConfig:
    """How to run the emulator.

    ``api_keys`` maps each accepted secret key to the instance (tenant) it is bound to;
    ``None`` means the single demo key bound to the ``demo`` instance. Keys are never shown
    in ``repr``.

    ``api_version`` is the version a request gets when it names no served version key;
    ``served_versions`` are the versions whose key is honoured (it must include the default).

    Deliveries (``sender.py``): ``retry_scale`` multiplies the retry backoff (``0.001`` makes
    the 2 s first retry 2 ms); ``events_every`` (seconds, ``None`` = off) creates an event on
    every active callback that often; ``delivery_concurrency`` caps attempts in flight.
    """

    db_path: str = DEFAULT_DB_PATH
    api_keys: Mapping[str, str] | None = field(default=None, repr=False)
    seed_callbacks: int = 3
    latency_ms: int = 0
    rate_limit: int = 5000
    api_version: ApiVersion = DEFAULT_VERSION
    served_versions: tuple[ApiVersion, ...] = VERSIONS
    retry_scale: float = 1.0
    events_every: float | None = None
    delivery_concurrency: int = 8

    def __post_init__(self) -> None:
        if not self.db_path:
            raise ValueError("db_path must not be empty")
        if self.seed_callbacks < 0:
            raise ValueError("seed_callbacks must be >= 0")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if self.rate_limit < 1:
            raise ValueError("rate_limit must be >= 1")
        if not 0 <= self.retry_scale < float("inf"):
            raise ValueError("retry_scale must be a finite number >= 0")
        if self.events_every is not None and not 0 < self.events_every < float("inf"):
            raise ValueError("events_every must be a finite number > 0 (or None)")
        if self.delivery_concurrency < 1:
            raise ValueError("delivery_concurrency must be >= 1")
        served = tuple(dict.fromkeys(self.served_versions))
        for version in (self.api_version, *served):
            if version not in VERSIONS:
                raise ValueError(f"unknown API version {version!r}; expected one of {VERSIONS}")
        if self.api_version not in served:
            raise ValueError("served_versions must include api_version")
        object.__setattr__(self, "served_versions", served)
        if self.api_keys is not None:
            keys = dict(self.api_keys)
            if not keys:
                raise ValueError("api_keys must not be empty (use None for the demo key)")
            for key, instance in keys.items():
                if not key or not instance:
                    raise ValueError("api keys and instance ids must be non-empty strings")
            object.__setattr__(self, "api_keys", MappingProxyType(keys))

    @property
    def keys(self) -> Mapping[str, str]:
        """The effective key -> instance mapping (the demo key when none was given)."""
        if self.api_keys is None:
            return MappingProxyType({DEMO_API_KEY: DEMO_INSTANCE_ID})
        return self.api_keys

    @property
    def instances(self) -> list[str]:
        """Every instance some key is bound to, sorted."""
        return sorted(set(self.keys.values()))
