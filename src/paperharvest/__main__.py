from paperharvest.cli import main

raise SystemExit(main())
