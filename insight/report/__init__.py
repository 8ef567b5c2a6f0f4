"""The report's presentation (sections, HTML, PDF, insight.json), and, called, the API's report.

`insight.report(dataset, run=..., out=...)` is the Python API's function (insight.api.report): this
package shares its name, and Python sets a package's attribute to its sub-package once that is
imported, so the package itself is made callable (a module's class may be replaced, PEP 549's
accepted part) and `insight.report` means the same thing whatever was imported before.
"""

import sys
from types import ModuleType


class _CallableModule(ModuleType):
    def __call__(self, *args, **kwargs):
        from insight.api import report

        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
