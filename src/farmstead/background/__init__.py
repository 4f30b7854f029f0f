"""Work the server does besides answering requests, on threads it starts and stops."""
