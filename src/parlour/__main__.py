"""`python -m parlour` runs the CLI."""

from parlour.cli import main

main()
