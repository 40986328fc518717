"""Model files (ggml, CTranslate2), the catalogue and downloads. Never imports Textual."""
