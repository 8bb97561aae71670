"""The command line: one module per domain, each a thin face over the library."""
