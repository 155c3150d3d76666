"""The Contact Center web page: server-rendered from the API's own endpoints and services."""
