"""People and directions: staff accounts, the directions tree, the staff import,
invitations and ambassador trainings.

See ARCHITECTURE.md."""
