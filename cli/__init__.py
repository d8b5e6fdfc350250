"""Command-line entry points of cumulus (`python -m cli.demo`)."""
