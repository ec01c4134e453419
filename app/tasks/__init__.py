"""Task-queue wrappers around services. Each module has ``register(huey, app)``."""
