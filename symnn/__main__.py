"""``python -m symnn``: the same as the ``symnn`` command."""

import sys

try:
    from symnn.cli import main
except KeyboardInterrupt:  # Ctrl-C while the library loads: one line, as symnn.cli.main does
    sys.stderr.write("symnn: interrupted\n")
    raise SystemExit(130) from None

raise SystemExit(main())
