"""Survey definitions (YAML). This folder ships inside the package as sdexl.templates."""
