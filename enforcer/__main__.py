from enforcer.main import main

raise SystemExit(main())
