"""Asset and relocation tracker for the municipality's contingency plan."""

import sys

__version__ = "0.1.0"


class _SqliteUtilsWithoutNumpy:
    """sqlite-utils imports numpy when it is installed, only to insert numpy values, which the
    tracker never does; that import alone costs ~50 ms. This import hook keeps numpy out of
    sqlite-utils' import, whenever that comes: the commands that write plain SQL never import
    sqlite-utils at all (`tracker.database`)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != "sqlite_utils":
            return None
        sys.meta_path.remove(self)
        if "numpy" in sys.modules:  # imported by something else already: nothing to save
            return None
        from importlib.util import find_spec

        spec = find_spec(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_without_numpy(module: object) -> None:
            sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` fails
            try:
                exec_module(module)
            finally:
                if "numpy" in sys.modules and sys.modules["numpy"] is None:
                    del sys.modules["numpy"]

        loader.exec_module = exec_without_numpy
        return spec


if "sqlite_utils" not in sys.modules:
    sys.meta_path.insert(0, _SqliteUtilsWithoutNumpy())
