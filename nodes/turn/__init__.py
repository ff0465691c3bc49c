"""The steps of a turn around the lanes: load, route, clarify, handoff, finalize."""
