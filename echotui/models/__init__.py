"""Model files: which model a provider is asked to load, the ggml and CTranslate2 files on disk and on the
Hugging Face Hub, the catalogue `echotui models` lists, and downloads. Never imports Textual."""
