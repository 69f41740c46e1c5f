"""GraphQL gateway for Metorial's Callback Destinations API."""
