"""Speech-to-text engines behind one interface. Never imports Textual."""
