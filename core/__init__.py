"""crossdeck's headless core: model, sources, graph, analyses, sync. Never imports textual."""

from __future__ import annotations

__version__ = "0.1.0"
