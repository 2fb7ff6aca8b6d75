"""`python -m desktop`: the same as the shoebox-colorizer command."""

import sys

from desktop.app import main

sys.exit(main())
