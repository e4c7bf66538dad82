"""HTTP routes of the engine (FastAPI). Routes parse and serialise; `engine.batch_service` decides."""
