"""Hardware facts, measured timings and the recommendation of what to run here. Never imports Textual."""
