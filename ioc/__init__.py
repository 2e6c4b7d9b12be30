"""IOC dashboard: domain code (contracts, KPIs, admin units, settings, DB schema, CLI)."""
