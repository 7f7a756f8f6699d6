"""Customer journey, touchpoints, end-to-end processes and the responsibility map (S3)."""
