"""tic — 石家庄市技术创新中心批处理工具.

The regulation as code lives in :mod:`toolkit.core` (pure, no I/O libraries);
files are read and written by :mod:`toolkit.adapters`; the ``tic`` command is
:mod:`toolkit.cli`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
