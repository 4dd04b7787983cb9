"""Segment-interest model (SPEC 3): inputs from the warehouse, network, losses, training, scoring."""
