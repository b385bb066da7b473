"""`python -m vcaudit`."""

from vcaudit.cli import main

raise SystemExit(main())
