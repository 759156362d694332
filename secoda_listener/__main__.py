import sys

from secoda_listener.cli import main

sys.exit(main())
