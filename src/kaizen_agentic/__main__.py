"""``python -m kaizen_agentic``."""

from kaizen_agentic.cli import main

if __name__ == "__main__":
    main()
