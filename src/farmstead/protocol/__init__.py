"""The protocol edge: HTTP <-> (operation, dict), driven only by botocore's deadline model."""
