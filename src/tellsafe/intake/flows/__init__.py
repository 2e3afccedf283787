"""The chat reporting flow: a versioned definition (data, intake.Flow) and the engine
that walks a conversation through it (flows.engine)."""
