"""omnicontacts: a contact book speaking Rocket.Chat's Omnichannel Contacts REST API."""

__version__ = "0.1.0"
