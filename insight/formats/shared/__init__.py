"""What several format families use: the tables (tables.py), split names, image headers and files,
polygon and RLE geometry, instance masks as label rows, and label maps."""
