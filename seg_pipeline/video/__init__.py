"""Video files: writing (for the demo world and tests), probing, segmenting and decoding."""
