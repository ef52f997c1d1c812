"""The support pages: a person's requests (`requests`) and the agents' queue (`queue`)."""
