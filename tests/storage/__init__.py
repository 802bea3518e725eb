"""The stores on disk: round trips, incremental writes, fallbacks, the index folder."""
