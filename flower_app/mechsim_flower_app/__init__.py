"""mechsim's collab scenario as a Flower app (see ../pyproject.toml)."""
