"""hotline-kg: the annual reports of Beijing's citizen-service hotline (12345热线) as linked open data."""

__version__ = "0.1.0"
