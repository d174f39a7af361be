"""hotline-kg: the annual reports of Beijing's citizen-service hotline (12345热线) as linked open data."""

from importlib.metadata import version

__version__ = version("hotline-kg")
