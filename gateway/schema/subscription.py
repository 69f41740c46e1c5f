"""Subscriptions (graphql-transport-ws, see gateway.web.websocket)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gateway.errors import ErrorCode, GatewayError
from gateway.schema.ids import expect_id
from gateway.schema.types import CallbackDelivery, Info


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Deliveries to this destination as they appear or change (status, "
        "attempts). The upstream is polled every GATEWAY_POLL_INTERVAL seconds, once per "
        "credential and destination however many clients watch."
    )
    async def delivery_updated(
        self, info: Info, destination_id: strawberry.ID
    ) -> AsyncGenerator[CallbackDelivery, None]:
        context = info.context
        credential = context.session.require_credential()
        upstream_id = expect_id(destination_id, "CallbackDestination")
        if context.watches is None:
            raise GatewayError(ErrorCode.BAD_USER_INPUT, "Subscriptions are served over WebSocket.")
        async for update in context.watches.watch(credential, upstream_id):
            if isinstance(update, GatewayError):
                raise update
            yield CallbackDelivery.from_record(update)
