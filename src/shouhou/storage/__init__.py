"""The one layer that touches the database and the evidence store."""
