"""The benchmark apps: one module per framework, each answering the same scenarios."""
