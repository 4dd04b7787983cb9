"""The model group: the segment-interest model per modality and the skip-prediction report."""
