"""Import, export and the right of access: above the domains, used by none of them."""
