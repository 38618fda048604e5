"""``python -m sklearn_seqlab run ...``: the same as the ``sklearn-seqlab`` command."""

import sys

from .experiments.cli import main

sys.exit(main())
