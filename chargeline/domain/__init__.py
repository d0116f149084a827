"""Version-neutral model and pure logic, shared by the CSMS and the station stack."""
