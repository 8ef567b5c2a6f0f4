# Marks the templates folder as the importable package `insight.templates`, so that
# importlib.resources finds the templates in a wheel, an sdist or an editable install alike.
