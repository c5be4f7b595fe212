"""`python -m tinydl ...` runs the `tinydl` command (tinydl/cli.py)."""
import sys

from .cli import main

sys.exit(main())
