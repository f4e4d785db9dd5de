"""Offers: their lifecycle, the careers-site search and the staff's lists, what
makes them known (post texts, JobPosting), and the scoring adapters to ``matching/``
(index on disk, meaning, talent pool).

See ARCHITECTURE.md."""
