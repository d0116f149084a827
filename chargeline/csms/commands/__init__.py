"""CSMS -> station commands: version-neutral requests, translation per OCPP version, the command service."""

from chargeline.csms.commands.errors import CommandRefused
from chargeline.csms.commands.operations import OPERATIONS, Operation, required_role
from chargeline.csms.commands.service import CommandHandle, CommandService

__all__ = ["OPERATIONS", "CommandHandle", "CommandRefused", "CommandService", "Operation", "required_role"]
