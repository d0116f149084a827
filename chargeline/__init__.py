"""Chargeline: an OCPP 1.6J / 2.0.1 / 2.1 central system and station stack."""

__version__ = "0.1.0"
