"""The `farmstead` command line: one module per noun."""
