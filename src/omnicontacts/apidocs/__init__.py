"""The API's OpenAPI document, built from the route registry, and its offline docs page."""
