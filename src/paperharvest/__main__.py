from paperharvest.entry import main

raise SystemExit(main())
