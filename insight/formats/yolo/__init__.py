"""YOLO txt labels (boxes; polygons as masks): reader.py pairs images and labels and builds the tables,
layout.py finds data.yaml, the splits and the class names, files.py reads the files in a pool, txt.py
parses the lines."""
