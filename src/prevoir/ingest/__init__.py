"""Read datasets' sources and clean their rows into the long ``unique_id, ds, <values>`` frame."""

# The source registry is imported from prevoir.ingest.readers, not from here: it brings
# SQLAlchemy (the SQL reader), which the pipeline steps that only clean frames never load.
from prevoir.ingest.files import read_files
from prevoir.ingest.transform import CleanResult, TransformReport, clean_frame

__all__ = ["CleanResult", "TransformReport", "clean_frame", "read_files"]
