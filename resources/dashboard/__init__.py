"""Dashboards: interface and the self-contained HTML report."""
