"""Application shell: the ``evidence`` command line wiring ``pipeline``, ``extractors`` and ``flows``."""
