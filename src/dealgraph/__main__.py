"""``python -m dealgraph`` runs the command line."""

from .cli import main

main()
