"""``python -m sklearn_xas``: the same as the ``sklearn-xas`` command."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
