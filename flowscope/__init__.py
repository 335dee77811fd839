"""flowscope composition root: settings, CLI, create_app(), demo traffic."""
