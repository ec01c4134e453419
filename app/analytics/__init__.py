"""Analytics: the rollups, artist dashboards and the co-op's public books (/transparency)."""
