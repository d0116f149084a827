"""The WebSocket side of the CSMS: identity, credentials, subprotocols, connections."""
