"""Step 1 of the pipeline: report text (data/raw) → facts table (data/facts)."""

from hotline_kg.extract.errors import ReportError
from hotline_kg.extract.facts import COLUMNS, Fact, to_csv
from hotline_kg.extract.report import Extraction, extract_file, extract_text

__all__ = ["COLUMNS", "Extraction", "Fact", "ReportError", "extract_file", "extract_text", "to_csv"]
