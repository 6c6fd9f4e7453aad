"""Security scenarios: what a forged, hostile or failing input can and cannot do."""
