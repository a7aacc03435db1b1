"""Loading model artifacts without letting them run code: a pickle reader with an allow-list.

A pickle can name any importable callable and call it while it loads (``os.system`` with a
command, say), so whoever can write the store or the artifact folder could run code in every
process that loads a model. ``restricted_loads`` reads pickles whose globals are only:

- classes of ``prevoir.models`` and ``prevoir.domain`` (the forecasters and their specs;
  classes only, never a function, so nothing of prevoir can be called but a constructor);
- the exact names below, which the fitted models of every kind reference (found by loading
  each kind of the model contract tests and the statsforecast kinds, with and without
  intervals): containers, numpy arrays, pandas frames and indexes, the boosters, the
  scikit-learn trees and the statsforecast models.

Anything else is refused with ``ArtifactIntegrityError`` before it is imported or called.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from prevoir.errors import ArtifactIntegrityError

__all__ = ["ALLOWED_GLOBALS", "restricted_loads"]

# classes of these packages may be loaded (and only classes)
_OWN_PACKAGES = ("prevoir.models.", "prevoir.domain.")

_NUMPY = {
    # numpy 2 names, and the numpy 1 names older artifacts were written with
    (core, name)
    for core in ("numpy._core.multiarray", "numpy.core.multiarray")
    for name in ("_reconstruct", "scalar")
} | {
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
}
_PANDAS = {
    ("pandas._libs.internals", "_unpickle_block"),
    ("pandas.core.internals.managers", "BlockManager"),
    ("pandas.core.internals.managers", "SingleBlockManager"),
    ("pandas.core.frame", "DataFrame"),
    ("pandas.core.series", "Series"),
    ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.base", "_new_Index"),
    ("pandas.core.indexes.multi", "MultiIndex"),
    ("pandas.core.indexes.range", "RangeIndex"),
    ("pandas.core.indexes.datetimes", "DatetimeIndex"),
    ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"),
    ("pandas.core.arrays.datetimes", "DatetimeArray"),
    ("pandas.core.dtypes.dtypes", "DatetimeTZDtype"),
    ("pandas._libs.tslibs.timestamps", "_unpickle_timestamp"),
    ("pandas._libs.tslibs.timedeltas", "_timedelta_unpickle"),
}
_LIBRARIES = {
    ("lightgbm.basic", "Booster"),
    ("xgboost.core", "Booster"),
    ("sklearn.ensemble._forest", "RandomForestClassifier"),
    ("sklearn.ensemble._forest", "RandomForestRegressor"),
    ("sklearn.tree._classes", "DecisionTreeClassifier"),
    ("sklearn.tree._classes", "DecisionTreeRegressor"),
    ("sklearn.tree._tree", "Tree"),
    ("statsforecast.models", "AutoARIMA"),
    ("statsforecast.models", "AutoETS"),
    ("statsforecast.models", "AutoTheta"),
    ("statsforecast.models", "MSTL"),
    ("statsforecast.models", "SeasonalNaive"),
    ("statsforecast.utils", "results"),  # a namedtuple class
}
_BUILTINS = {
    ("builtins", "slice"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("builtins", "frozenset"),
    ("builtins", "set"),
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("zoneinfo", "ZoneInfo"),
}
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(_NUMPY | _PANDAS | _LIBRARIES | _BUILTINS)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        if module.startswith(_OWN_PACKAGES) and "." not in name:
            found = super().find_class(module, name)  # ImportError/AttributeError: gone
            if isinstance(found, type):
                return found
        raise ArtifactIntegrityError(
            f"the model artifact refers to {module}.{name}, which prevoir never writes into a "
            "model: it was not written by prevoir or was altered, and is refused unread; "
            "retrain the forecaster (`prevoir run --steps features train evaluate`)"
        )


def restricted_loads(data: bytes) -> object:
    """Unpickle ``data`` allowing only ``ALLOWED_GLOBALS`` and prevoir's model classes;
    ``ArtifactIntegrityError`` for any other global."""
    return _RestrictedUnpickler(io.BytesIO(data)).load()
