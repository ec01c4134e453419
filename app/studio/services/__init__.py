"""The studio's use cases: releases, tracks, the artist profile, managers, the overview."""
