"""Reviews during a campaign: daily, weekly and mid-term, with frozen snapshots."""
