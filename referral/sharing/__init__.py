"""Sharing and visits: the links agents share, what ``/r/<code>`` leads to, the
attribution cookie, the visits recorded (at once or through the journal), share images.

See ARCHITECTURE.md."""
