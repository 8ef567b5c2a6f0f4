"""Reading image pixels for the checks that need them (content and perceptual hashes, thumbnails).

Like the dataset loaders, this package opens input files; what it returns is a tidy table that the
pure diagnosis in insight.diagnose.duplicates turns into findings.
"""
