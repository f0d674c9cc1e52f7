"""Case formulation: the couple's cycle map, revised session by session."""
