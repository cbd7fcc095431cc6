"""``python -m kaizen_agentic``."""

from kaizen_agentic._entry import main

if __name__ == "__main__":
    main()
