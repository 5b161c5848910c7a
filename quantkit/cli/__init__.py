"""The ``quantkit`` command line: thin commands over the library (see ``quantkit --help``)."""
