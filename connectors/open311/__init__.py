"""Open311 GeoReport v2 connector: citizen service requests as feedback events."""
