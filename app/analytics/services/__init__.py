"""Use cases of analytics: rollups (which commit, being jobs), dashboards, the books."""
