"""The speech engines (whisper.cpp, faster-whisper, Voxtral, a remote server) behind one `Provider`
interface, each class declaring what it can do and what it knows about running on a machine. Never imports
Textual."""
