"""The warehouse group: interaction log -> interactions, skip labels, user histories, splits, views."""
