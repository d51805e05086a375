import sys

from kamtools.cli import main

sys.exit(main())
