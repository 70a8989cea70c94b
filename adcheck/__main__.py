"""`python -m adcheck` runs the command line."""

from adcheck.cli import run

run()
