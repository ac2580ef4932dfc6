"""Members, roles and API tokens: the accounts every domain builds on."""
