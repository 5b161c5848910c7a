"""The model registry: ``[strategy] kind`` → :class:`~quantkit.models.contract.Model`.

A new model is one module that defines ``MODEL`` plus one line in :data:`BUILTIN` (or a call to
:func:`register_model` from anywhere, e.g. a notebook or a plug-in package).
"""

from __future__ import annotations

from quantkit.errors import ConfigError
from quantkit.models import position, rotation, timing
from quantkit.models.contract import Model

BUILTIN: tuple[Model, ...] = (timing.MODEL, position.MODEL, rotation.MODEL)

MODELS: dict[str, Model] = {}


def register_model(model: Model) -> Model:
    """Make ``model`` available to strategy files as ``[strategy] kind = "<model.kind>"``."""
    if not isinstance(model, Model):
        raise TypeError(f"register() takes a quantkit.models.contract.Model, got {type(model).__name__}")
    MODELS[model.kind] = model
    return model


def unregister(kind: str) -> None:
    """Remove a registered model (built-in models included)."""
    MODELS.pop(kind, None)


def model_of(kind: str) -> Model:
    """The model registered for ``kind``; ConfigError naming the known kinds otherwise."""
    try:
        return MODELS[kind]
    except KeyError:
        raise ConfigError(f"kind must be one of {', '.join(MODELS)}, got {kind!r}") from None


def model_sections() -> dict[str, dict[str, type]]:
    """Section name → {kind: parameter dataclass} over every registered model."""
    out: dict[str, dict[str, type]] = {}
    for model in MODELS.values():
        for section, params_type in model.sections.items():
            out.setdefault(section, {})[model.kind] = params_type
    return out


for _model in BUILTIN:
    register_model(_model)
