from echotui.cli import main

raise SystemExit(main())
