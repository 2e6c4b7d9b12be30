"""Start the Streamlit server on app.py (what `ioc ui` and `ioc up` run).

Why not plain `streamlit run`: with a `pages/` folder next to app.py, Streamlit serves the
legacy "pages folder" app until some session has run app.py's `st.navigation`; a wall screen
bookmarked on /dossiers and opened first after a restart then got the page without the app's
theme and navigation. The flag below tells it up front that app.py builds the navigation.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def command(port: int | str) -> list[str]:
    return [sys.executable, "-m", "ioc.ui.serve", "run", str(APP), "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def main() -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False  # app.py calls st.navigation (v2 pages)
    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
