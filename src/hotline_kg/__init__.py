"""hotline-kg: the annual reports of Beijing's citizen-service hotline (12345热线) as linked open data."""

from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING, Any

__version__ = version("hotline-kg")

if TYPE_CHECKING:
    from hotline_kg.frames import observations, results_frame, select

#: The notebook API (hotline_kg.frames), imported on first use so that the command line and
#: the server do not load pandas.
_FRAMES = ("observations", "results_frame", "select")
__all__ = ["__version__", "observations", "results_frame", "select"]


def __getattr__(name: str) -> Any:
    if name in _FRAMES:
        from hotline_kg import frames

        return getattr(frames, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FRAMES))
