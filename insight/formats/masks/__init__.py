"""Semantic-segmentation masks (PNG per image): reader.py builds the tables, layout.py finds the mask
folders, pairing.py pairs masks with images, scan.py counts pixels in a pool."""
