"""``python -m lessons_lib.homework build|grade|export|gradescope`` (docs/instructors.md)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
