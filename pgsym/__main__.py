"""``python -m pgsym`` runs the command line."""
import sys

from pgsym.cli import main

sys.exit(main())
