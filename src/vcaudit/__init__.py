"""vcaudit: audit installed videoconferencing clients against a sourced advisory feed."""

__version__ = "0.1.0"
