"""Command-line entry points of cumulus (`python -m cli.demo`, `python -m cli.backfill`)."""

import warnings

import dagster as dg

# The APIs cumulus relies on (single-run backfill policies, resolved-spec mapping) are marked beta or
# preview in Dagster 1.13; saying so on every command run is noise for a user of the CLI.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
