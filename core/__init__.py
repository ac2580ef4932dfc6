"""What every domain uses and no domain owns: factory, extensions, auth, errors, pagination."""
