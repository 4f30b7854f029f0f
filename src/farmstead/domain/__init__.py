"""Pure rules: no SQL, no HTTP, no botocore; plain values in, plain values out."""
