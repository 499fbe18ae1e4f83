"""The data model, the official on-disk formats and the identities of a task's data."""
