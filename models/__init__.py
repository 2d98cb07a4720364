"""The domain: tables, the operations that change them, and the event log."""
