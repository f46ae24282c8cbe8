"""python -m toolkit — the same as the ``tic`` command."""

from toolkit.cli.main import main

if __name__ == "__main__":  # pragma: no cover
    main()
