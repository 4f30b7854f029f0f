"""Operation handlers: validated dict in, dict out, one transaction each. Importing this package registers them all."""
