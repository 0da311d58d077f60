"""Allow ``python -m hackle_export``."""

from hackle_export.cli import main

raise SystemExit(main())
