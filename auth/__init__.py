"""Authentication (who is calling) and authorisation (may they), shared by every API."""
