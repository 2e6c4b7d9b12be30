import sys

from ioc.cli.main import main

sys.exit(main())
