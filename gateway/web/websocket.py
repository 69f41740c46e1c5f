"""GraphQL over WebSocket (graphql-transport-ws) for subscriptions, at /graphql.

The caller authenticates in `connection_init`'s payload (`{"Authorization": "Bearer
<key>"}`, as graphql-ws clients send `connectionParams`), with the same rules as the
HTTP endpoint; a refused credential closes the socket with 4403. Each connection gets
one context; subscriptions share polls through DeliveryWatches.

Usage::

    app.add_websocket_route("/graphql", GraphQLWebSocket(schema, settings, upstream, ...))
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway.errors import GatewayError
from gateway.schema.context import Context
from gateway.schema.watch import DeliveryWatches
from gateway.settings import Settings
from gateway.upstream.client import Upstream
from gateway.upstream.sealing import PROCESS_KEYRING, Keyring
from gateway.upstream.versions import VersionSelector
from gateway.web.http import caller_credential


class GraphQLWebSocket(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Schema,
        settings: Settings,
        upstream: Callable[[], Upstream],
        versions: VersionSelector,
        watches: DeliveryWatches,
        keyring: Keyring = PROCESS_KEYRING,
    ) -> None:
        self.keyring = keyring
        super().__init__(
            schema,
            graphql_ide=None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.settings = settings
        self.upstream = upstream
        self.versions = versions
        self.watches = watches

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(self.upstream(), self.versions, None, read_cache=False, watches=self.watches)

    async def on_ws_connect(self, context: Context) -> None:
        value = context.connection_params.get("Authorization", "")
        try:
            context.session.credential = caller_credential(
                value if isinstance(value, str) else "", self.settings, self.keyring
            )
        except GatewayError:
            raise ConnectionRejectionError from None
        if context.session.credential is None:
            raise ConnectionRejectionError

    async def get_root_value(self, request: Request | WebSocket) -> None:
        return None

    async def render_graphql_ide(self, request: Request) -> Response:  # never served here
        return Response(status_code=404)
