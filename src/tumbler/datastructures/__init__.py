"""Data structures of the HTTP core: multi-value dicts, headers, uploaded files and parsed header values."""
