"""`python -m prevoir` runs the command line."""

from prevoir.cli.main import main

main()
