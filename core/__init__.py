"""The shared engine: Lab pipeline, models, checkpoints and the Colorizer. Heavy imports happen lazily."""
