"""pytest's collection of the repository: ``--doctest-modules`` imports every module it is
given, so a script that must not be imported is named here (fixtures are in tests/)."""

collect_ignore = ["graph/data/check_data.py"]
