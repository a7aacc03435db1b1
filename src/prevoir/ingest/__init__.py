"""Read datasets' sources and clean their rows into the long ``unique_id, ds, <values>`` frame."""

from prevoir.ingest.files import read_files
from prevoir.ingest.transform import CleanResult, TransformReport, clean_frame

__all__ = ["CleanResult", "TransformReport", "clean_frame", "read_files"]
