"""Superset: settings, REST client, bundle, warehouse connections and the dashboard resource."""
