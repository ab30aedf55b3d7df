"""The classifier registry: versioned classifiers registered under ``name.vN``.

Classifiers register themselves with a decorator, spaCy-factory style, declaring their labels,
where their results go in the output contract, the record type of a result, their default
arguments and the data files they read::

    @register("actors", "v1", labels=ACTOR_TYPES, output_key="actors",
              result_type=ActorMention, data_files=("actors.yaml",))
    class ActorClassifier: ...

A factory whose defaults name ``config`` is given the caller's :class:`ClassifierConfig`
there; instances are cached per versioned name and configuration.

Built-in classifiers live in modules imported on first use (:data:`BUILTIN_MODULES`); a module
that is not there yet is skipped, so the registry works while a classifier is still being
written. Instances are built lazily and cached per process: :func:`get` and :func:`build_all`
hand out the same object each time for the same configuration.
``classifiers/data/registry.golden.json`` holds :func:`describe` as shipped and a test compares
the two, so adding, removing or re-versioning a classifier is a deliberate change.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from classifiers.base import (
    RISK_THEMES,
    Classifier,
    ClassifierConfig,
    RawResult,
    RelevanceScore,
    ThemeScore,
)
from classifiers.errors import ClassifierNotConfigured, UnknownClassifier

__all__ = [
    "BUILTIN_MODULES",
    "DATA_DIR",
    "GOLDEN_PATH",
    "Registration",
    "build",
    "build_all",
    "describe",
    "get",
    "register",
    "registration",
    "registrations",
    "result_type",
    "version_key",
]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
GOLDEN_PATH = DATA_DIR / "registry.golden.json"

#: Modules that register the built-in classifiers, in output order.
BUILTIN_MODULES = (
    "classifiers.relevance",
    "classifiers.actors",
    "classifiers.licenses",
    "classifiers.risk_themes",
)

_BUILTIN_ORDER = ("relevance", "actors", "license_events", "risk_themes")

# Built-ins registered from here rather than by their own module, so that listing the registry
# never imports numpy or reads a model: module -> (name, version, labels, output key,
# result type, data files, class).
_LAZY: dict[str, tuple[str, str, tuple[str, ...], str, type, tuple[str, ...], str]] = {
    "classifiers.relevance": (
        "relevance",
        "v4",
        ("relevant",),
        "relevance",
        RelevanceScore,
        ("relevance.v4.json", "relevance_lexicon.yaml", "actors.yaml"),
        "RelevanceClassifier",
    ),
    "classifiers.risk_themes": (
        "risk_themes",
        "v4",
        RISK_THEMES,
        "risk_themes",
        ThemeScore,
        ("themes.yaml", "risk_themes.v4.json"),
        "RiskThemeClassifier",
    ),
}

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Registration:
    """One registered classifier: its versioned name, labels, output key, result record type,
    defaults and factory."""

    name: str
    version: str
    labels: tuple[str, ...]
    factory: Callable[..., Classifier]
    defaults: Mapping[str, Any]
    data_files: tuple[str, ...]  # relative to ``classifiers/data``
    output_key: str = ""  # where the results go in the output contract; default: the name
    result_type: type = RawResult  # has ``from_json``: how stored results are read back

    @property
    def fullname(self) -> str:
        """The versioned name, e.g. ``actors.v1``."""
        return f"{self.name}.{self.version}"

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (what the golden file records)."""
        return {
            "name": self.name,
            "version": self.version,
            "fullname": self.fullname,
            "labels": list(self.labels),
            "output_key": self.output_key or self.name,
            "defaults": dict(self.defaults),
            "data_files": list(self.data_files),
        }


_registry: dict[str, Registration] = {}
_instances: dict[tuple[str, ClassifierConfig], Classifier] = {}
_lazy_factories: set[Callable[..., Classifier]] = set()
_lock = threading.RLock()
_loaded = False


def register(
    name: str,
    version: str,
    *,
    labels: Iterable[str],
    output_key: str | None = None,
    result_type: type = RawResult,
    defaults: Mapping[str, Any] | None = None,
    data_files: Iterable[str] = (),
) -> Callable[[T], T]:
    """Class or function decorator that registers a classifier factory as ``name.version``.

    Args:
        name: the classifier's stable name (``"actors"``).
        version: its version (``"v1"``); a new version is a new registration.
        labels: the labels the classifier can output.
        output_key: where its results go in the output contract (default: ``name``).
        result_type: the result record class; its ``from_json`` reads stored results back.
        defaults: keyword arguments the factory is called with unless overridden; a
            ``config`` default is replaced by the caller's :class:`ClassifierConfig`.
        data_files: the knowledge or model files it reads, relative to ``classifiers/data``.

    Raises:
        ValueError: another factory is already registered under the same versioned name.
    """

    def decorator(factory: T) -> T:
        entry = Registration(
            name=name,
            version=version,
            labels=tuple(labels),
            factory=factory,  # type: ignore[arg-type]
            defaults=MappingProxyType(dict(defaults or {})),
            data_files=tuple(data_files),
            output_key=output_key or name,
            result_type=result_type,
        )
        with _lock:
            existing = _registry.get(entry.fullname)
            # a module registering itself replaces the placeholder registered for it here
            if (
                existing is not None
                and existing.factory is not factory
                and existing.factory not in _lazy_factories
            ):
                raise ValueError(f"classifier {entry.fullname} is already registered")
            _registry[entry.fullname] = entry
        return factory

    return decorator


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for module in BUILTIN_MODULES:
            # A built-in module that does not exist yet is skipped; one that exists but fails
            # to import is a bug and raises.
            if importlib.util.find_spec(module) is None:
                log.info("classifier module not installed", extra={"classifier": module})
                continue
            if module in _LAZY:
                _register_lazy(module, *_LAZY[module])
            else:
                importlib.import_module(module)
        _loaded = True


def _register_lazy(
    module: str,
    name: str,
    version: str,
    labels: tuple[str, ...],
    output_key: str,
    result_type: type,
    files: tuple[str, ...],
    attr: str,
) -> None:
    if f"{name}.{version}" in _registry:
        return

    def factory(**kwargs: Any) -> Classifier:
        cls = getattr(importlib.import_module(module), attr)
        instance: Classifier = cls(**kwargs)
        return instance

    factory.__qualname__ = f"{module}.{attr}"
    _lazy_factories.add(factory)
    register(
        name,
        version,
        labels=labels,
        output_key=output_key,
        result_type=result_type,
        data_files=files,
    )(factory)


def registrations() -> tuple[Registration, ...]:
    """Every registered classifier, built-ins first in :data:`BUILTIN_MODULES` order."""
    _load_builtins()
    order = {name: i for i, name in enumerate(_BUILTIN_ORDER)}
    with _lock:
        entries = list(_registry.values())
    return tuple(
        sorted(
            entries, key=lambda r: (order.get(r.name, len(order)), r.name, version_key(r.version))
        )
    )


def registration(name_or_fullname: str) -> Registration:
    """The registration for ``"actors"`` (newest version) or ``"actors.v1"``.

    Raises:
        UnknownClassifier: nothing is registered under that name; the message lists the names.
    """
    _load_builtins()
    with _lock:
        if name_or_fullname in _registry:
            return _registry[name_or_fullname]
        matching = [r for r in _registry.values() if r.name == name_or_fullname]
    if not matching:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownClassifier(
            f"no classifier registered as {name_or_fullname!r} (registered: {known})"
        )
    return max(matching, key=lambda r: version_key(r.version))


def version_key(version: str) -> tuple[int, str]:
    """Sort key of a version string: ``v2`` after ``v1``, ``v10`` after ``v9``; versions
    without a number sort before every numbered one."""
    digits = version.lstrip("v")
    return (int(digits), version) if digits.isdigit() else (-1, version)


def result_type(name: str) -> type:
    """The result record class of the newest registration of classifier ``name``
    (:class:`~classifiers.base.RawResult` for a name no longer registered)."""
    try:
        return registration(name).result_type
    except UnknownClassifier:
        return RawResult


def build(
    name_or_fullname: str, config: ClassifierConfig | None = None, **overrides: Any
) -> Classifier:
    """Build a fresh, uncached instance with the registered defaults updated by ``overrides``.

    Raises:
        UnknownClassifier: nothing is registered under that name.
        ClassifierNotConfigured: the classifier's model or data file is missing.
    """
    entry = registration(name_or_fullname)
    kwargs = dict(entry.defaults)
    if "config" in kwargs:
        kwargs["config"] = config or ClassifierConfig()
    kwargs.update(overrides)
    return entry.factory(**kwargs)


def get(name_or_fullname: str, config: ClassifierConfig | None = None) -> Classifier:
    """The process-wide instance of a classifier for ``config`` (default
    :class:`ClassifierConfig`), built on first use with its defaults.

    Raises:
        UnknownClassifier: nothing is registered under that name.
        ClassifierNotConfigured: the classifier's model or data file is missing.
    """
    entry = registration(name_or_fullname)
    key = (entry.fullname, config or ClassifierConfig())
    with _lock:
        instance = _instances.get(key)
        if instance is None:
            instance = build(entry.fullname, key[1])
            _instances[key] = instance
        return instance


def build_all(
    only: Iterable[str] | None = None, config: ClassifierConfig | None = None
) -> dict[str, Classifier]:
    """Build (or reuse) the classifiers to run, keyed by versioned name, in output order.

    Args:
        only: names or versioned names to build; ``None`` builds every registered classifier
            and skips, with an info log line, those that are not configured.
        config: what the caller configured (default :class:`ClassifierConfig`).

    Raises:
        UnknownClassifier: a name in ``only`` is not registered.
        ClassifierNotConfigured: a classifier named in ``only`` is not configured.
    """
    if only is not None:
        chosen = [registration(name) for name in only]
        return {entry.fullname: get(entry.fullname, config) for entry in chosen}
    built: dict[str, Classifier] = {}
    for entry in registrations():
        try:
            built[entry.fullname] = get(entry.fullname, config)
        except ClassifierNotConfigured as exc:
            log.info("classifier disabled: %s", exc, extra={"classifier": entry.fullname})
    return built


def describe() -> list[dict[str, Any]]:
    """One row per registered classifier: name, version, fullname, labels, defaults, files."""
    return [entry.describe() for entry in registrations()]


def _clear_instances() -> None:
    """Forget the built instances (tests use this after changing settings)."""
    with _lock:
        _instances.clear()
