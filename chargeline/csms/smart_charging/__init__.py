"""Central smart charging: site load management, the allocation loop, the stations' charging profiles.

Built on the pure core in `chargeline.domain.smart_charging` (profiles, validation, composite,
allocation, time-of-use); this package adds the state, the timing and the talking to stations.
See docs/smart-charging.md.
"""

from chargeline.csms.smart_charging.service import SmartChargingService
from chargeline.csms.smart_charging.settings import SmartChargingSettings

__all__ = ["SmartChargingService", "SmartChargingSettings"]
