"""The streaming pipeline: queue, VAD, utterance policy, metrics. Never imports Textual."""
