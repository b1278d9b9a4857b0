"""Share links: a signed, expiring, read-only token that opens one campaign's pages."""
