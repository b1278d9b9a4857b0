"""Channel history for planning: how each channel performed across past campaigns."""
