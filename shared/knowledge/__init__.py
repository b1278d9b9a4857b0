"""The knowledge base: campaigns and what they hold, searchable in Chinese and English."""
