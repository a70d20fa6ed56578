"""``python -m evals``: run the evaluation (see ``evals.run``)."""
import sys

from .run import main

sys.exit(main())
