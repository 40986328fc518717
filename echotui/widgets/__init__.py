"""Textual widgets: the caption view, the health panel and the pickers. Only the app imports these."""
