"""The streaming pipeline from audio blocks to committed words: queue, VAD, the utterance policy, the engine's
worker thread, revision, metrics, the events it reports and the journal it keeps. Never imports Textual."""
