"""Object storage: interface, local folder, S3."""
