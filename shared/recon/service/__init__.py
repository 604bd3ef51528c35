"""What every Recon service shares: the app factory, its lifespan, health and metrics."""
