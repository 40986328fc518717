"""Where the audio comes from: capture devices (watched, switched, recorded) and files replayed at a chosen
speed, each handing 16 kHz mono blocks to the pipeline's queue. Never imports Textual."""
