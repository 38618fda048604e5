"""``python -m sklearn_seqlab run ...``: the same as the ``sklearn-seqlab`` command."""

import sys

from .cli import main

sys.exit(main())
