"""Downstream uses of segment interest (UI group `downstream`): personalised thumbnails and editing
suggestions for a batch of logged views, thin assets over seg_pipeline.apply."""
