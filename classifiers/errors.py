"""The classifiers' own errors (``classifiers/`` depends on nothing in ``pipeline/``).

::

    ClassifierError                  a classifier could not be built or run
    ├── ClassifierNotConfigured      a classifier's model or data file is missing or invalid
    └── UnknownClassifier            no classifier is registered under that name

The pipeline translates these into its own tree (``pipeline.errors``) where it calls the
classifiers.
"""

from __future__ import annotations

__all__ = ["ClassifierError", "ClassifierNotConfigured", "UnknownClassifier"]


class ClassifierError(Exception):
    """A classifier could not be built or run."""

    @property
    def message(self) -> str:
        """The error message (what went wrong and how to fix it)."""
        return str(self)


class ClassifierNotConfigured(ClassifierError):
    """A classifier's model or data file is missing; it says which file and how to build it."""


class UnknownClassifier(ClassifierError):
    """No classifier is registered under that name."""
