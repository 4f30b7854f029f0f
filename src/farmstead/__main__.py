"""`python -m farmstead` runs the command line."""

from farmstead.cli.main import main

main()
