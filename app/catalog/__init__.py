"""The catalog: artists, releases, tracks, search and their pages."""
