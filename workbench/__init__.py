"""The safeguarding evidence workbench: the domain package.

Pages, the CLI and the tests all come in through the functions of these modules, which check the
acting user's right, do their work in one transaction and write the audit event in it.
"""

__version__ = "0.1.0"
