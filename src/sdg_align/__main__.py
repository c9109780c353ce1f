"""``python -m sdg_align`` runs the ``sdg-align`` command line."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="sdg-align")
