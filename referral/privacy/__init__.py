"""Privacy: erasing candidates' personal data on request and when retention ends.

See ARCHITECTURE.md."""
