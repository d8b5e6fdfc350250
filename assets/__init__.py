"""Assets of the three pipelines, plus the shared mechanics (partitions, landing, loading, policies)."""
