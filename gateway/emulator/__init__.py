"""A local emulator of Metorial's Callback Destinations REST API (version 2025-01-01).

It stands in for a foreign service, so it imports nothing from the rest of ``gateway``::

    from gateway.emulator import EmulatorConfig, create_app, DEMO_API_KEY

    app = create_app(EmulatorConfig(db_path=":memory:"))
    # GET /callbacks-destinations with "Authorization: Bearer " + DEMO_API_KEY

``app.state.request_log`` lists a :class:`RequestRecord` per handled request
(``app.state.clear_request_log()`` empties it); ``app.state.store`` is the database.
"""

from gateway.emulator.app import API_VERSION, RequestRecord, create_app
from gateway.emulator.config import DEMO_API_KEY, DEMO_INSTANCE_ID, EmulatorConfig
from gateway.emulator.cursors import decode_cursor, encode_cursor

__all__ = [
    "API_VERSION",
    "DEMO_API_KEY",
    "DEMO_INSTANCE_ID",
    "EmulatorConfig",
    "RequestRecord",
    "create_app",
    "decode_cursor",
    "encode_cursor",
]
