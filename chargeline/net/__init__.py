"""Asyncio plumbing shared by the CSMS gateway and the station stack."""
