"""Errbot plugins of Open Lines and the runtime they drive."""
