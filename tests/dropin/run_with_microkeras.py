"""Run Keras 3 programs unchanged, with ``import keras`` resolved to microkeras.

    python tests/dropin/run_with_microkeras.py PROGRAM.py

The program runs as ``__main__`` in this process after an import hook maps
``keras`` and every ``keras.<sub>`` module to ``microkeras`` and
``microkeras.<sub>``: the very same module objects, so ``keras.layers.Dense is
microkeras.layers.Dense`` and ``from keras.layers import Dense`` works.  A real
Keras installed in the same environment is never imported.  A name microkeras
lacks fails as it would for a missing module: ``No module named 'keras.xyz'``.
"""

import importlib
import importlib.abc
import importlib.util
import runpy
import sys


class KerasIsMicrokeras(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import hook: ``keras[.sub]`` is ``microkeras[.sub]``, the same module object."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        real_spec = importlib.util.find_spec("micro" + fullname)
        if real_spec is None:
            return None
        return importlib.util.spec_from_loader(fullname, self,
                                               is_package=real_spec.submodule_search_locations is not None)

    def create_module(self, spec):
        module = importlib.import_module("micro" + spec.name)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        # The import system stamped the alias's spec on the shared module; give
        # it its own back (the module itself has already run).
        module.__spec__ = self._own_spec


def install():
    """Alias the microkeras modules imported so far, and hook the import of the others.

    The eager aliases matter for names such as ``microkeras.optimizers.schedules``,
    registered in ``sys.modules`` under a parent that is a module, not a package:
    the import system would not look for them through the parent.
    """
    for name in [name for name in sys.modules if name == "keras" or name.startswith("keras.")]:
        del sys.modules[name]
    importlib.import_module("microkeras")
    for name, module in list(sys.modules.items()):
        if name == "microkeras" or name.startswith("microkeras."):
            sys.modules[name[len("micro"):]] = module
    sys.meta_path.insert(0, KerasIsMicrokeras())


def main(argv):
    if len(argv) != 2:
        raise SystemExit(f"usage: {argv[0]} PROGRAM.py")
    install()
    sys.argv = argv[1:]
    runpy.run_path(argv[1], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
