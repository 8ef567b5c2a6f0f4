import sys

from insight.cli import main

sys.exit(main())
