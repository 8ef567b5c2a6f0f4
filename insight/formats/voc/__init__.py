"""Pascal VOC XML (detection): reader.py."""
