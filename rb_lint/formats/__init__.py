"""Knowledge of the RedBrick formats beyond the models: validation messages, walkers, mask paths, taxonomy."""
