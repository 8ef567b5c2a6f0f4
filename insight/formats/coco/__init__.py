"""COCO instances JSON (detection; polygons and RLE as masks with --task segmentation): reader.py reads
the layouts, decode.py decodes a file into arrays, split.py decodes a large file in two halves."""
