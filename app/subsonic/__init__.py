"""The Subsonic API 1.16.1 with the OpenSubsonic extensions under ``/rest/`` (docs/SUBSONIC.md)."""
