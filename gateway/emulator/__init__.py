"""A local emulator of Metorial's Callback Destinations REST API, versions 2025-01-01 and
2026-02-01 (generation MA), chosen per request as ``versions.py`` describes.

It stands in for a foreign service, so it imports nothing from the rest of ``gateway``::

    from gateway.emulator import EmulatorConfig, create_app, DEMO_API_KEY

    app = create_app(EmulatorConfig(db_path=":memory:"))
    # GET /callback-destinations with "Authorization: Bearer " + DEMO_API_KEY (2026-02-01),
    # or GET /callbacks-destinations with "metorial-version: mt_2025_01_01_pulsar" too.

``app.state.request_log`` lists a :class:`RequestRecord` per handled request
(``app.state.clear_request_log()`` empties it); ``app.state.store`` is the database.
"""

from gateway.emulator.app import API_VERSION, RequestRecord, create_app
from gateway.emulator.config import DEMO_API_KEY, DEMO_INSTANCE_ID, EmulatorConfig
from gateway.emulator.cursors import decode_cursor, encode_cursor
from gateway.emulator.store import TRIGGERS, provider_deployment_id
from gateway.emulator.versions import VERSION_KEYS, VERSIONS

__all__ = [
    "API_VERSION",
    "DEMO_API_KEY",
    "DEMO_INSTANCE_ID",
    "TRIGGERS",
    "VERSIONS",
    "VERSION_KEYS",
    "EmulatorConfig",
    "RequestRecord",
    "create_app",
    "decode_cursor",
    "encode_cursor",
    "provider_deployment_id",
]
