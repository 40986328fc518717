"""What to run on this machine: hardware facts, measured timings and the recommendation, each engine's part
asked of its provider class through the registry (no engine package is imported here). Never imports
Textual."""
