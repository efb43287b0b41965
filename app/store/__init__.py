"""Persistence. Services see only `app.store.interfaces`; the concrete stores live beside it."""
