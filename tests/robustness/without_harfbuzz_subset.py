"""A pytest plugin: the suite as it runs on a machine without the HarfBuzz-Subset library, even on one
that has it (WeasyPrint then subsets the PDF's fonts with fontTools). `.ci/run` runs the suite once with
`-p tests.robustness.without_harfbuzz_subset` when the library is installed. It applies to this process
and the processes it forks, not to commands the tests start with subprocess."""

from __future__ import annotations


def pytest_configure(config) -> None:
    import weasyprint.pdf.fonts

    weasyprint.pdf.fonts.harfbuzz_subset = None
