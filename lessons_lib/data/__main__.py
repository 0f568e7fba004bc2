"""Fetch datasets ahead of time: ``python -m lessons_lib.data mnist fsdd`` (no names: all of them).

Binder's postBuild runs it so learners never wait on a slow link. Introduced in notebook 00.
"""
import sys

from . import REGISTRY, DatasetNotAvailable, load_dataset


def main(names: list[str]) -> int:
    failed = []
    for name in names or sorted(REGISTRY):
        try:
            load_dataset(name)
        except DatasetNotAvailable as problem:
            print(problem, file=sys.stderr)
            failed.append(name)
    if failed:
        print("not available: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
