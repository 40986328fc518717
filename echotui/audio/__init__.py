"""Audio sources: files replayed at a chosen speed, and capture devices. Never imports Textual."""
