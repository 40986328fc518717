"""`echotui serve`: echotui's own engines behind the OpenAI transcription API, on Ray Serve.

Installed with `pip install 'echotui[serve]'`. Only `echotui.cli.serve` imports this package, and only when
`echotui serve` runs: the rest of echotui never needs Ray. `api` is the HTTP side (auth, audio, replies)
without Ray; `app` is the Ray Serve deployment (one model load per replica); `run` starts and stops Ray.
"""
