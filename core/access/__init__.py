"""Access control: API keys with roles, and the per-route rules that admit principals."""
