"""LinkedIn: an agent's own archive, read safely, and the weekly counts kept of it.

See ARCHITECTURE.md."""
