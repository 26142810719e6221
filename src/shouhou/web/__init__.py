"""The web console: server-rendered pages for every role on the same services and permissions as the API."""
