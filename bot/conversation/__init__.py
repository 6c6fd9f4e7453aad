"""The conversation service: one answering flow for every chat surface (see
`service.py`); its records live in the chat store (`store.py`, `tables.py`)."""
